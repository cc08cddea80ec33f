// The Redis benchmark's Markdown report: one row per case and phase, then the issue's target
// (per-instance CPU per delivered event within 1.5× of the in-memory engine, p99 within 2 ms of
// it, at 1,000 clients and 100 events/s), each figure the median (and range) over rounds of a
// ratio or difference taken within the same round.
import { environment } from './bench.ts'
import type { RedisBenchResults, RedisPhase, RedisRun } from './redis-bench.ts'
import type { RedisCase } from './redis-scenarios.ts'
import { type Summary, sameRoundRatios, summarize } from './summary.ts'

/** The issue's target: the worst instance's CPU per delivered event over the in-memory engine's. */
export const CPU_RATIO_TARGET = 1.5
/** The issue's target: p99 latency over the in-memory engine's, in ms. */
export const P99_EXCESS_TARGET_MS = 2

const fixed = (value: number, digits: number) =>
  value.toLocaleString('en', { minimumFractionDigits: digits, maximumFractionDigits: digits })

function cell(summary: Summary | undefined, digits: number, unit = ''): string {
  if (summary === undefined) return '–'
  const median = `${fixed(summary.median, digits)}${unit}`
  return summary.n === 1 ? median : `${median} (${fixed(summary.min, digits)}–${fixed(summary.max, digits)}${unit})`
}

function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((title, column) =>
    Math.max(3, title.length, ...rows.map((row) => (row[column] ?? '').length)),
  )
  const pad = (text: string, column: number) =>
    column === 0 ? text.padEnd(widths[column] ?? 0) : text.padStart(widths[column] ?? 0)
  const line = (cells: readonly string[]) => `| ${cells.map(pad).join(' | ')} |`
  const rule = widths.map((width, column) => (column === 0 ? `:${'-'.repeat(width - 1)}` : `${'-'.repeat(width - 1)}:`))
  return [line(header), `| ${rule.join(' | ')} |`, ...rows.map(line)].join('\n')
}

/** Differences of a run's value from the baseline's in the same round, summarized over rounds. */
function sameRoundDiffs(
  runs: readonly RedisRun[],
  baseline: readonly RedisRun[],
  value: (run: RedisRun) => number | undefined,
): Summary | undefined {
  return summarize(
    runs.map((run) => {
      const base = baseline.find((candidate) => candidate.round === run.round)
      const a = value(run)
      const b = base === undefined ? undefined : value(base)
      return a === undefined || b === undefined ? undefined : a - b
    }),
  )
}

/** Whether every run of a phase delivered every event to every connection once and in order. */
function exactness(runs: readonly RedisRun[], phase: (run: RedisRun) => RedisPhase | undefined): string {
  let wrong = 0
  let complete = 0
  let connections = 0
  for (const run of runs) {
    const load = phase(run)?.load
    if (load === undefined) continue
    wrong += load.lost + load.duplicated + load.reordered + load.unexpected + load.badStatus + load.closed
    complete += load.complete
    connections += load.connections
  }
  const failed = runs.filter((run) => run.error !== undefined).length
  return `${complete.toLocaleString('en')} / ${connections.toLocaleString('en')}${wrong > 0 ? `, ${wrong} wrong` : ''}${failed > 0 ? ` (${failed} failed)` : ''}`
}

const worst = (phase: RedisPhase | undefined) => {
  const values = phase?.instanceCpuPerEventMicros.filter((value): value is number => value !== undefined) ?? []
  return values.length === 0 ? undefined : Math.max(...values)
}
const ms = (micros: number | undefined) => (micros === undefined ? undefined : micros / 1000)

/** The whole report as Markdown. */
export function renderRedisReport(results: RedisBenchResults, command: string): string {
  const env = environment(true)
  const { sizes } = results
  const counted = results.runs.filter((run) => run.sourcesChanged !== true)
  const ok = (id: RedisCase['id']) => counted.filter((run) => run.case === id && run.error === undefined)
  const memory = ok('memory')
  const paced = (run: RedisRun) => run.rate
  const burst = (run: RedisRun) => run.burst
  const rows = results.cases.map((redisCase) => {
    const runs = ok(redisCase.id)
    const all = counted.filter((run) => run.case === redisCase.id)
    return [
      `${redisCase.id}: ${redisCase.title}`,
      cell(summarize(runs.map((run) => run.rate?.cpuPerEventMicros)), 2),
      cell(
        sameRoundRatios(runs, memory, (run) => worst(run.rate)),
        2,
        '×',
      ),
      cell(summarize(runs.map((run) => ms(run.rate?.load.latency.p50))), 2, ' ms'),
      cell(summarize(runs.map((run) => ms(run.rate?.load.latency.p99))), 2, ' ms'),
      cell(summarize(runs.map((run) => run.rate?.redisCpuPerEmitMicros)), 0, ' µs'),
      exactness(all, paced),
      cell(summarize(runs.map((run) => (run.burst?.deliveredPerSecond ?? 0) / 1000)), 0, 'k'),
      cell(
        sameRoundRatios(runs, memory, (run) => run.burst?.deliveredPerSecond),
        2,
        '×',
      ),
      cell(summarize(runs.map((run) => run.burst?.cpuPerEventMicros)), 2),
      cell(summarize(runs.map((run) => run.burst?.redisCpuPerEmitMicros)), 0, ' µs'),
      exactness(all, burst),
      cell(summarize(runs.map((run) => (run.rate?.loadgenCpuShare ?? 0) * 100)), 0, '%'),
    ]
  })
  const instanceRows = results.cases.flatMap((redisCase) => {
    const runs = ok(redisCase.id)
    return Array.from({ length: redisCase.instances }, (_, k) => [
      `${redisCase.id} instance ${k + 1}${k === 0 ? ' (emits)' : ' (fan-out only)'}`,
      cell(summarize(runs.map((run) => run.rate?.instanceCpuPerEventMicros[k])), 2),
      cell(
        sameRoundRatios(runs, memory, (run) =>
          run.case === 'memory' ? run.rate?.cpuPerEventMicros : run.rate?.instanceCpuPerEventMicros[k],
        ),
        2,
        '×',
      ),
      cell(summarize(runs.map((run) => run.burst?.instanceCpuPerEventMicros[k])), 2),
    ])
  })
  const cpuRatio = sameRoundRatios(ok('redis-2'), memory, (run) => worst(run.rate))
  const p99Excess = sameRoundDiffs(ok('redis-2'), memory, (run) => ms(run.rate?.load.latency.p99))
  const verdict = (summary: Summary | undefined, limit: number) =>
    summary === undefined
      ? 'not measured'
      : summary.max <= limit
        ? 'met in every round'
        : summary.median <= limit
          ? 'met at the median, not in every round'
          : 'NOT met'
  const out = [
    '# Herald Redis engine benchmark',
    '',
    `- date: ${new Date().toISOString()}; machine: ${env.cpu}, ${env.cores} cores, ${env.os}`,
    `- Node ${env.node}; Herald from source at ${env.commit}, sources ${env.heraldSource}`,
    `- command: \`${command}\`; ${results.rounds} round(s), ${Math.round(results.durationMs / 1000)} s in all`,
    `- ${sizes.clients.toLocaleString('en')} clients split evenly across the instances; paced phase: ${sizes.rateEvents.toLocaleString('en')} events at ${sizes.rate}/s (first ${sizes.warmup} left out of latency); burst: ${sizes.burstEvents.toLocaleString('en')} events, ${sizes.batch} per event-loop turn. Instance 1 emits every event.`,
    '',
    'Server CPU is each Herald process’s user + system time from the emit command until every connection has',
    'its events; per delivered event it is divided by the events delivered to that process’s own streams',
    '(“all” divides the sum over instances by all deliveries). Redis CPU is `used_cpu_user + used_cpu_sys`',
    'from `INFO cpu` over the same window, per emitted event. Latency is the payload’s emit timestamp against',
    'the load generator’s receive time (CLOCK_MONOTONIC). Cells are `median (min–max)` over rounds; ratios',
    'and differences are taken within each round, then summarized.',
    '',
    table(
      [
        'case',
        'paced: CPU µs / delivered event (all)',
        'worst instance × memory',
        'p50',
        'p99',
        'Redis CPU / emit',
        'exact (paced)',
        'burst: delivered events/s',
        '× memory',
        'burst: CPU µs / delivered event',
        'Redis CPU / emit (burst)',
        'exact (burst)',
        'loadgen CPU (paced)',
      ],
      rows,
    ),
    '',
    table(['instance', 'paced: CPU µs / delivered event', '× memory', 'burst: CPU µs / delivered event'], instanceRows),
    '',
    table(
      ['target (issue #10), redis-2 against memory, same round', 'measured', 'verdict'],
      [
        [
          `worst instance’s CPU per delivered event ≤ ${CPU_RATIO_TARGET}× memory`,
          cell(cpuRatio, 2, '×'),
          verdict(cpuRatio, CPU_RATIO_TARGET),
        ],
        [
          `p99 latency ≤ memory + ${P99_EXCESS_TARGET_MS} ms`,
          cell(p99Excess, 2, ' ms'),
          verdict(p99Excess, P99_EXCESS_TARGET_MS),
        ],
      ],
    ),
  ]
  const errors = results.runs.filter((run) => run.error !== undefined || run.sourcesChanged === true)
  if (errors.length > 0) {
    const why = (run: RedisRun) => run.error ?? 'Herald’s sources were written during the run; left out'
    out.push('', '## Failed or left-out runs', '', ...errors.map((run) => `- ${run.case} r${run.round}: ${why(run)}`))
  }
  return `${out.join('\n')}\n`
}
