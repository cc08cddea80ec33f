// What the smoke tests compare: each delivery run's counts, and those of a perfect run.
import type { DeliveryRun } from './run-delivery.ts'
import type { Scenario } from './scenarios.ts'

/** Each run's outcome: the events delivered, and any lost, repeated, out of order or unexpected. */
export function deliveries(runs: readonly DeliveryRun[]) {
  return runs.map((run) => ({
    run: `${run.scenario} ${run.server}`,
    error: run.error,
    delivered: run.load?.delivered,
    lost: run.load?.lost,
    duplicated: run.load?.duplicated,
    reordered: run.load?.reordered,
    unexpected: run.load?.unexpected,
    badStatus: run.load?.badStatus,
  }))
}

/** What `deliveries` gives when every server delivers every event to every client, once and in order. */
export function perfectDeliveries(scenarios: readonly Scenario[], servers: readonly string[]) {
  return scenarios.flatMap((scenario) =>
    scenario.kind !== 'delivery'
      ? []
      : servers.map((server) => ({
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
}
