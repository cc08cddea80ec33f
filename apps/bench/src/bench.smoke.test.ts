// The smoke run, end to end: every server in its own process, a real load generator, every
// scenario at a tiny size, one round. It checks correctness only (every event delivered once,
// in order, everywhere); timings on a shared CI machine mean nothing, so none is asserted.
import { afterAll, expect, it } from 'vitest'
import { runBench } from './bench.ts'
import { killAll } from './processes.ts'
import { SERVERS, smokeScenarios } from './scenarios.ts'
import { deliveries, perfectDeliveries } from './test-delivery.ts'

afterAll(killAll)

it('every server delivers every event to every client, once and in order', { timeout: 90_000 }, async () => {
  const scenarios = smokeScenarios()
  const results = await runBench({
    scenarios,
    servers: SERVERS,
    rounds: 1,
    source: true, // like the rest of the suite, run Herald from its TypeScript source
    cpuProf: false,
    log: () => {},
  })

  expect(deliveries(results.delivery)).toEqual(perfectDeliveries(scenarios, SERVERS))

  expect(results.idleMemory.map((run) => [run.server, run.error, Number.isFinite(run.heapPerConnection)])).toEqual(
    SERVERS.map((server) => [server, undefined, true]),
  )
  const levels = scenarios.flatMap((scenario) => (scenario.kind === 'max-connections' ? scenario.levels : []))
  expect(results.maxConnections.map((run) => [run.server, run.held, run.error])).toEqual(
    SERVERS.map((server) => [server, Math.max(...levels), undefined]),
  )
})
