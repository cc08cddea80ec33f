// The topic benchmark's Markdown report: one row per case, then the ratios that answer the issue's
// questions, each the median (and range) of ratios taken within the same round.
import { environment } from './bench.ts'
import { type Summary, sameRoundRatios, summarize } from './summary.ts'
import type { TopicCase } from './topic-scenarios.ts'
import type { TopicBenchResults, TopicRun } from './topics-bench.ts'

const fixed = (value: number, digits: number) =>
  value.toLocaleString('en', { minimumFractionDigits: digits, maximumFractionDigits: digits })

function cell(summary: Summary | undefined, digits: number, unit = ''): string {
  if (summary === undefined) return '–'
  const median = `${fixed(summary.median, digits)}${unit}`
  return summary.n === 1 ? median : `${median} (${fixed(summary.min, digits)}–${fixed(summary.max, digits)})`
}

/** A Markdown table padded the way Biome formats one. */
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

function integrity(runs: readonly TopicRun[]): string {
  let exact = 0
  let connections = 0
  let wrong = 0
  for (const { integrity: check } of runs) {
    if (check === undefined) continue
    exact += check.exact
    connections += check.connections
    wrong += check.lost + check.duplicated + check.reordered + check.unexpected + check.foreign
  }
  const failed = runs.filter((run) => run.error !== undefined).length
  const timedOut = runs.filter((run) => run.load?.timedOut === true).length
  const notes = [failed > 0 ? `${failed} failed` : '', timedOut > 0 ? `${timedOut} timed out` : ''].filter(Boolean)
  return `${exact.toLocaleString('en')} / ${connections.toLocaleString('en')}${wrong > 0 ? `, ${wrong} wrong` : ''}${notes.length > 0 ? ` (${notes.join(', ')})` : ''}`
}

/** The whole report as Markdown. */
export function renderTopicsReport(results: TopicBenchResults, command: string): string {
  const env = environment(true)
  // A run whose server may have loaded a half-edited Herald measured something else: left out.
  const counted = results.runs.filter((run) => run.sourcesChanged !== true)
  const ok = (id: TopicCase['id']) => counted.filter((run) => run.case === id && run.error === undefined)
  const cpu = (run: TopicRun) => run.cpuPerEventMicros
  const rows = results.cases.map((topicCase) => {
    const runs = ok(topicCase.id)
    return [
      `${topicCase.id}: ${topicCase.title}`,
      `${topicCase.events.toLocaleString('en')} ${topicCase.mode}`,
      cell(summarize(runs.map(cpu)), 2),
      cell(sameRoundRatios(runs, ok('baseline'), cpu), 2, '×'),
      cell(summarize(runs.map((run) => (run.deliveredPerSecond ?? 0) / 1000)), 0, 'k'),
      integrity(counted.filter((run) => run.case === topicCase.id)),
      cell(summarize(runs.map((run) => (run.connectMs ?? 0) / 1000)), 1, ' s'),
      cell(summarize(runs.map((run) => (run.loadgenCpuShare ?? 0) * 100)), 0, '%'),
    ]
  })
  const ratio = (over: TopicCase['id'], under: TopicCase['id']) =>
    cell(sameRoundRatios(ok(over), ok(under), cpu), 2, '×')
  const out = [
    '# Herald topic benchmark',
    '',
    `- date: ${new Date().toISOString()}; machine: ${env.cpu}, ${env.cores} cores, ${env.os}, fd hard limit ${env.fdLimit}`,
    `- Node ${env.node}; Herald from source at ${env.commit}, sources ${env.heraldSource}`,
    `- command: \`${command}\`; ${results.rounds} round(s), ${results.batch} event(s) per event-loop turn; ${Math.round(results.durationMs / 1000)} s in all`,
    '',
    'Server CPU is the server process’s user + system time from the emit command until every connection',
    'has its events, divided by the events the load generator counted (each delivery to a connection is',
    'one event). Cells are `median (min–max)` over rounds; ratios are taken within each round, then summarized.',
    '',
    table(
      [
        'case',
        'events',
        'server CPU µs / delivered event',
        '× baseline',
        'delivered events/s',
        'exact connections',
        'connect',
        'loadgen CPU',
      ],
      rows,
    ),
    '',
    table(
      ['question', 'ratio of server CPU per delivered event'],
      [
        ['Does targeting make broadcast slower? broadcast-rooms / baseline', ratio('broadcast-rooms', 'baseline')],
        [
          'A targeted delivery against a broadcast delivery: targeted-many / baseline',
          ratio('targeted-many', 'baseline'),
        ],
        [
          'Does a targeted emit cost more with more connections? targeted-many / targeted-few',
          ratio('targeted-many', 'targeted-few'),
        ],
        [
          'The same, with 10,000 connections open but only 10 of them written to: targeted-hot / targeted-few',
          ratio('targeted-hot', 'targeted-few'),
        ],
        ['What targeting adds to an emit: targeted-one / broadcast-one', ratio('targeted-one', 'broadcast-one')],
        ['The same question for hand-written node:http: node-many / node-few', ratio('node-many', 'node-few')],
      ],
    ),
  ]
  const errors = results.runs.filter((run) => run.error !== undefined || run.sourcesChanged === true)
  if (errors.length > 0) {
    const why = (run: TopicRun) => run.error ?? 'Herald’s sources were written during the run; left out'
    out.push('', '## Failed or left-out runs', '', ...errors.map((run) => `- ${run.case} r${run.round}: ${why(run)}`))
  }
  return `${out.join('\n')}\n`
}
