// The Markdown report: the machine, then one table per scenario with medians, min–max over
// rounds, and ratios to the node:http baseline measured in the same rounds.
import type { BenchResults } from './bench.ts'
import type { DeliveryRun } from './run-delivery.ts'
import type { IdleMemoryRun } from './run-idle-memory.ts'
import { BASELINE, type DeliveryScenario, type IdleMemoryScenario, type MaxConnectionsScenario } from './scenarios.ts'
import { type Summary, sameRoundRatios, summarize } from './summary.ts'

const fixed = (value: number, digits: number) =>
  value.toLocaleString('en', { minimumFractionDigits: digits, maximumFractionDigits: digits })

/** `median (min–max)`, or `–` without data; the range is left out for a single round. */
export function cell(summary: Summary | undefined, digits: number, unit = ''): string {
  if (summary === undefined) return '–'
  const median = `${fixed(summary.median, digits)}${unit}`
  return summary.n === 1 ? median : `${median} (${fixed(summary.min, digits)}–${fixed(summary.max, digits)})`
}

const ratio = (summary: Summary | undefined) => cell(summary, 2, '×')

/** A Markdown table padded the way Biome formats one, so `biome check` accepts the report as written. */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((title, column) =>
    Math.max(3, title.length, ...rows.map((row) => (row[column] ?? '').length)),
  )
  // The first column is left-aligned, the figures right-aligned.
  const pad = (cell: string, column: number) =>
    column === 0 ? cell.padEnd(widths[column] ?? 0) : cell.padStart(widths[column] ?? 0)
  const line = (cells: readonly string[]) => `| ${cells.map(pad).join(' | ')} |`
  const rule = widths.map((width, column) => (column === 0 ? `:${'-'.repeat(width - 1)}` : `${'-'.repeat(width - 1)}:`))
  return [line(header), `| ${rule.join(' | ')} |`, ...rows.map(line)].join('\n')
}

function integrity(runs: readonly DeliveryRun[]): string {
  const failed = runs.filter((run) => run.error !== undefined).length
  const timedOut = runs.filter((run) => run.load?.timedOut === true).length
  let lost = 0
  let duplicated = 0
  let reordered = 0
  for (const run of runs) {
    lost += run.load?.lost ?? 0
    duplicated += (run.load?.duplicated ?? 0) + (run.load?.unexpected ?? 0)
    reordered += run.load?.reordered ?? 0
  }
  const notes = [failed > 0 ? `${failed} failed` : '', timedOut > 0 ? `${timedOut} timed out` : ''].filter(Boolean)
  return `${lost} / ${duplicated} / ${reordered}${notes.length > 0 ? ` (${notes.join(', ')})` : ''}`
}

function deliveryTable(results: BenchResults, scenario: DeliveryScenario): string {
  const runsOf = (server: string) =>
    results.delivery.filter((run) => run.scenario === scenario.id && run.server === server && run.error === undefined)
  const baseline = runsOf(BASELINE)
  const cpu = (run: DeliveryRun) => run.cpuPerEventMicros
  const all = (server: string) =>
    results.delivery.filter((run) => run.scenario === scenario.id && run.server === server)
  if (scenario.rate === 0) {
    const rows = results.servers.map((server) => {
      const runs = runsOf(server)
      const rate = (run: DeliveryRun) => run.deliveredPerSecond
      return [
        server,
        cell(summarize(runs.map(cpu)), 2),
        ratio(sameRoundRatios(runs, baseline, cpu)),
        cell(summarize(runs.map((run) => (run.deliveredPerSecond ?? 0) / 1000)), 0, 'k'),
        ratio(sameRoundRatios(runs, baseline, rate)),
        integrity(all(server)),
        cell(summarize(runs.map((run) => (run.loadgenCpuShare ?? 0) * 100)), 0, '%'),
      ]
    })
    return table(
      [
        'server',
        'server CPU µs / delivered event',
        '× node:http',
        'delivered events/s',
        '× node:http',
        'lost / dup / reordered',
        'loadgen CPU (of 1 core)',
      ],
      rows,
    )
  }
  // A run that timed out has no steady-state latency to report (its missing events count as lost).
  const ms = (pick: (run: DeliveryRun) => number | undefined) => (run: DeliveryRun) => {
    const micros = pick(run)
    return micros === undefined || run.load?.timedOut !== false || run.load.latency.count === 0
      ? undefined
      : micros / 1000
  }
  const p50 = ms((run) => run.load?.latency.p50)
  const p95 = ms((run) => run.load?.latency.p95)
  const p99 = ms((run) => run.load?.latency.p99)
  const rows = results.servers.map((server) => {
    const runs = runsOf(server)
    return [
      server,
      cell(summarize(runs.map(p50)), 2),
      cell(summarize(runs.map(p95)), 2),
      cell(summarize(runs.map(p99)), 2),
      ratio(sameRoundRatios(runs, baseline, p50)),
      ratio(sameRoundRatios(runs, baseline, p99)),
      cell(summarize(runs.map(cpu)), 2),
      ratio(sameRoundRatios(runs, baseline, cpu)),
      integrity(all(server)),
    ]
  })
  return table(
    [
      'server',
      'p50 ms',
      'p95 ms',
      'p99 ms',
      'p50 × node:http',
      'p99 × node:http',
      'server CPU µs / event',
      '× node:http',
      'lost / dup / reordered',
    ],
    rows,
  )
}

function idleTable(results: BenchResults, scenario: IdleMemoryScenario): string {
  const runsOf = (server: string) =>
    results.idleMemory.filter((run) => run.scenario === scenario.id && run.server === server && run.error === undefined)
  const baseline = runsOf(BASELINE)
  const heap = (run: IdleMemoryRun) => run.heapPerConnection
  const rss = (run: IdleMemoryRun) => run.rssPerConnection
  const rows = results.servers.map((server) => {
    const runs = runsOf(server)
    const failed = results.idleMemory.filter((run) => run.server === server && run.error !== undefined).length
    return [
      server,
      cell(summarize(runs.map((run) => (heap(run) ?? 0) / 1024)), 2),
      ratio(sameRoundRatios(runs, baseline, heap)),
      cell(summarize(runs.map((run) => (rss(run) ?? 0) / 1024)), 2),
      ratio(sameRoundRatios(runs, baseline, rss)),
      failed === 0 ? '' : `${failed} failed`,
    ]
  })
  return table(['server', 'heap KiB / connection', '× node:http', 'RSS KiB / connection', '× node:http', ''], rows)
}

function maxConnectionsTable(results: BenchResults, scenario: MaxConnectionsScenario): string {
  const rows = results.servers.map((server) => {
    const run = results.maxConnections.find(
      (candidate) => candidate.scenario === scenario.id && candidate.server === server,
    )
    if (run === undefined) return [server, '–', '', '', '', '', '', '']
    const top = run.levels.find((level) => level.target === run.held)
    const failed = run.levels.find((level) => !level.ok)
    const failure =
      failed === undefined
        ? (run.error ?? '')
        : `at ${failed.target}: ${failed.open} open, ${failed.subscribed} subscribed, ${failed.heartbeats} heartbeats, ${failed.delivered} delivered`
    const mib = (bytes: number) => fixed(bytes / 2 ** 20, 0)
    return [
      server,
      run.held.toLocaleString('en'),
      top === undefined ? '–' : `${top.heartbeats.toLocaleString('en')} / ${top.delivered.toLocaleString('en')}`,
      top === undefined ? '–' : mib(top.stats.heapUsed),
      top === undefined ? '–' : mib(top.stats.rss),
      top === undefined || run.baseline === undefined
        ? '–'
        : `${fixed((top.stats.heapUsed - run.baseline.heapUsed) / top.target / 1024, 1)} / ${fixed((top.stats.rss - run.baseline.rss) / top.target / 1024, 1)}`,
      top === undefined ? '–' : fixed(top.connectMs / 1000, 1),
      failure,
    ]
  })
  return table(
    [
      'server',
      'held',
      'got heartbeat / all events',
      'heap MiB',
      'RSS MiB',
      'growth KiB / conn (heap / RSS)',
      'last level connect s',
      'first failure',
    ],
    rows,
  )
}

const SERVER_NOTES: Readonly<Record<string, string>> = {
  'node-http':
    'the baseline: hand-written node:http, each event serialized once into a Buffer written to every response',
  herald: 'Herald on Koa + @koa/router: zod schema, validation, ids and history on (defaults), `sse(channel)`',
  'herald-http': "diagnostic: the same Herald channel on plain node:http (`channel.handle`), to show Koa's share",
  'koa-bare':
    "diagnostic: the baseline's loop behind a Koa + @koa/router route (`ctx.respond = false`): Koa's own cost",
  'koa-naive': 'Koa with a PassThrough per client as `ctx.body`, each event serialized per client, a timer per client',
  'better-sse': 'better-sse on node:http: a session per request in one Channel, `channel.broadcast`',
  trpc: 'tRPC v11 SSE subscription (standalone adapter): EventEmitter + `on()` in an async generator, `tracked()` ids, pings on',
}

/** The whole report as Markdown. */
export function renderReport(results: BenchResults, command: string): string {
  const env = results.environment
  const out: string[] = [
    '# Herald benchmark results',
    '',
    `- date: ${env.date}`,
    `- machine: ${env.cpu}, ${env.cores} cores, ${env.memoryGiB} GiB, ${env.os}, fd hard limit ${env.fdLimit}`,
    `- Node ${env.node}; Herald from ${env.herald} at ${env.commit}, sources ${env.heraldSource}${env.heraldSourceChanged ? ' (**changed during the run**: results mix versions)' : ''}`,
    `- command: \`${command}\`; ${results.rounds} round(s), servers in this order each round: ${results.servers.join(', ')}; ${Math.round(results.durationMs / 1000)} s in all`,
    `- frameworks: ${Object.entries(env.versions ?? {})
      .map(([name, version]) => `${name} ${version}`)
      .join(', ')}`,
    '',
    ...results.servers.map((server) => `- **${server}**: ${SERVER_NOTES[server] ?? ''}`),
    '',
    'Each server runs in its own process; a separate load-generator process reads raw HTTP/1.1 over 127.0.0.1.',
    'Cells are `median (min–max)` over rounds; `×` columns are the ratio to node:http in the same round',
    '(median and range of the per-round ratios). Server CPU is user + system time of the server process',
    'from the emit command until the last event has reached every client. Latency is measured from the',
    'timestamp in each payload (monotonic clock shared by both processes), leaving out the warm-up',
    'events (the first second) of each latency run. A run that times out counts its missing events as lost.',
  ]
  for (const scenario of results.scenarios) {
    out.push('', `## ${scenario.title}`, '')
    if (scenario.kind === 'delivery') out.push(deliveryTable(results, scenario))
    else if (scenario.kind === 'idle-memory') out.push(idleTable(results, scenario))
    else out.push(maxConnectionsTable(results, scenario))
  }
  const errors = [...results.delivery, ...results.idleMemory, ...results.maxConnections].filter(
    (run) => run.error !== undefined,
  )
  if (errors.length > 0) {
    out.push('', '## Failed runs', '')
    for (const run of errors)
      out.push(`- ${run.scenario} ${run.server}${'round' in run ? ` r${run.round}` : ''}: ${run.error}`)
  }
  return `${out.join('\n')}\n`
}
