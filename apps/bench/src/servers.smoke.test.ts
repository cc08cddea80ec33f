// The servers benchmark's Hono servers at smoke size, end to end in their own processes with the
// real load generator: every event reaches every client once and in order. No timing is asserted.
import { afterAll, expect, it } from 'vitest'
import { runBench } from './bench.ts'
import { killAll } from './processes.ts'
import { type ServerName, smokeScenarios } from './scenarios.ts'
import { deliveries, perfectDeliveries } from './test-delivery.ts'

afterAll(killAll)

it('the Hono servers (Fetch adapter, Node path, streamSSE) deliver every event once, in order', {
  timeout: 60_000,
}, async () => {
  const servers = ['hono-fetch', 'hono-sse', 'hono-node'] as unknown as ServerName[]
  const scenarios = smokeScenarios().filter((scenario) => scenario.kind === 'delivery' && scenario.rate === 0)
  const results = await runBench({ scenarios, servers, rounds: 1, source: true, cpuProf: false, log: () => {} })

  expect(deliveries(results.delivery)).toEqual(perfectDeliveries(scenarios, servers))
})
