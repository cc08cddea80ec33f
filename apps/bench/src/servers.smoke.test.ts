// The servers benchmark's Hono servers at smoke size, end to end in their own processes with the
// real load generator: every event reaches every client once and in order. No timing is asserted.
import { afterAll, expect, it } from 'vitest'
import { runBench } from './bench.ts'
import { killAll } from './processes.ts'
import { type ServerName, smokeScenarios } from './scenarios.ts'

afterAll(killAll)

it('the Hono servers (Fetch adapter, Node path, streamSSE) deliver every event once, in order', {
  timeout: 60_000,
}, async () => {
  const servers = ['hono-fetch', 'hono-sse', 'hono-node'] as unknown as ServerName[]
  const scenarios = smokeScenarios().filter((scenario) => scenario.kind === 'delivery' && scenario.rate === 0)
  const results = await runBench({ scenarios, servers, rounds: 1, source: true, cpuProf: false, log: () => {} })

  const seen = results.delivery.map((run) => ({
    run: `${run.scenario} ${run.server}`,
    error: run.error,
    delivered: run.load?.delivered,
    lost: run.load?.lost,
    duplicated: run.load?.duplicated,
    reordered: run.load?.reordered,
    badStatus: run.load?.badStatus,
  }))
  const expected = scenarios.flatMap((scenario) =>
    scenario.kind !== 'delivery'
      ? []
      : servers.map((server) => ({
          run: `${scenario.id} ${server}`,
          error: undefined,
          delivered: scenario.clients * scenario.events,
          lost: 0,
          duplicated: 0,
          reordered: 0,
          badStatus: 0,
        })),
  )
  expect(seen).toEqual(expected)
})
