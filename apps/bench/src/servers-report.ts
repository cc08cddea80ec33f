// The report of `bench:servers`: the harness's Markdown report (report.ts) with notes on the Hono
// servers, plus a table of ratios to Herald on Koa, taken within each round as the others are.
import type { BenchResults } from './bench.ts'
import { cell, renderReport, table } from './report.ts'
import type { DeliveryRun } from './run-delivery.ts'
import { sameRoundRatios } from './summary.ts'

/** The servers `bench:servers` compares, in the order every round runs them. */
export const SERVERS_COMPARED = ['node-http', 'herald', 'hono-fetch', 'hono-sse'] as const
/** A diagnostic that runs only when named: Herald's Node path behind the same Hono route. */
export const SERVERS_DIAGNOSTIC = ['hono-node'] as const

const NOTES: Readonly<Record<string, string>> = {
  'hono-fetch':
    "Herald's Fetch adapter (`sse(channel)` from `@herald/server/fetch`) on a Hono route, served by @hono/node-server; the same channel as herald",
  'hono-sse':
    "Hono's `streamSSE` per client on @hono/node-server, fed by an EventEmitter: zod-validated once per emit, `JSON.stringify` and `writeSSE({ event, data, id })` per client, a heartbeat timer per client",
  'hono-node':
    "diagnostic: the same channel on the same Hono route, given Node's request and response (`channel.handle(c.env.incoming, c.env.outgoing)`, `RESPONSE_ALREADY_SENT`): hono-fetch without the ReadableStream bridge",
}

/** Server CPU per delivered event of every server over Herald on Koa's, per scenario, same-round. */
function heraldRatios(results: BenchResults): string[] {
  const cpu = (run: DeliveryRun) => run.cpuPerEventMicros
  const rows = results.scenarios.map((scenario) => {
    const runsOf = (server: string) =>
      results.delivery.filter((run) => run.scenario === scenario.id && run.server === server && run.error === undefined)
    const herald = runsOf('herald')
    return [scenario.id, ...results.servers.map((server) => cell(sameRoundRatios(runsOf(server), herald, cpu), 2, '×'))]
  })
  return [
    '',
    '## Server CPU per delivered event × Herald on Koa (same round)',
    '',
    table(['scenario', ...results.servers], rows),
  ]
}

/** The whole report as Markdown. */
export function renderServersReport(results: BenchResults, command: string): string {
  const lines = renderReport(results, command)
    .trimEnd()
    .split('\n')
    .map((line) => {
      if (line === '# Herald benchmark results') return '# Herald on Hono: servers benchmark results'
      const note = /^- \*\*([\w-]+)\*\*: $/.exec(line)?.[1]
      return note !== undefined && NOTES[note] !== undefined ? `${line}${NOTES[note]}` : line
    })
  const ratios = results.servers.includes('herald') ? heraldRatios(results) : []
  return `${[...lines, ...ratios].join('\n')}\n`
}
