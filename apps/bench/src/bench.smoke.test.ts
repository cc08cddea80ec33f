// The smoke run, end to end: every server in its own process, a real load generator, every
// scenario at a tiny size, one round. It checks correctness only (every event delivered once,
// in order, everywhere); timings on a shared CI machine mean nothing, so none is asserted.
import { afterAll, expect, it } from 'vitest'
import { runBench } from './bench.ts'
import { killAll } from './processes.ts'
import { SERVERS, smokeScenarios } from './scenarios.ts'

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

  const deliveries = results.delivery.map((run) => ({
    run: `${run.scenario} ${run.server}`,
    error: run.error,
    delivered: run.load?.delivered,
    lost: run.load?.lost,
    duplicated: run.load?.duplicated,
    reordered: run.load?.reordered,
    unexpected: run.load?.unexpected,
    badStatus: run.load?.badStatus,
  }))
  const expected = scenarios.flatMap((scenario) =>
    scenario.kind !== 'delivery'
      ? []
      : SERVERS.map((server) => ({
          run: `${scenario.id} ${server}`,
          error: undefined,
          delivered: scenario.clients * scenario.events,
          lost: 0,
          duplicated: 0,
          reordered: 0,
          unexpected: 0,
          badStatus: 0,
        })),
  )
  expect(deliveries).toEqual(expected)

  expect(results.idleMemory.map((run) => [run.server, run.error, Number.isFinite(run.heapPerConnection)])).toEqual(
    SERVERS.map((server) => [server, undefined, true]),
  )
  const levels = scenarios.flatMap((scenario) => (scenario.kind === 'max-connections' ? scenario.levels : []))
  expect(results.maxConnections.map((run) => [run.server, run.held, run.error])).toEqual(
    SERVERS.map((server) => [server, Math.max(...levels), undefined]),
  )
})
