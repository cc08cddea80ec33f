// The scenarios of issue #4, in their full size and in the smoke size CI runs.

/** The servers under test, in the order every round runs them; `node-http` is the baseline. */
export const SERVERS = ['node-http', 'herald', 'koa-naive', 'better-sse', 'trpc'] as const
/** Diagnostic variants that run only when named: Herald without Koa, and Koa without Herald. */
export const EXTRA_SERVERS = ['herald-http', 'koa-bare'] as const
export type ServerName = (typeof SERVERS)[number] | (typeof EXTRA_SERVERS)[number]
export const BASELINE: ServerName = 'node-http'

/** Clients receive `events` events, emitted as fast as possible (`rate` 0) or at `rate` per second. */
export interface DeliveryScenario {
  kind: 'delivery'
  id: string
  title: string
  clients: number
  events: number
  rate: number
  /** Events per event-loop turn in the tight loop. */
  batch: number
  /** The first events, left out of the latency figures (JIT warm-up). */
  warmup: number
  timeoutMs: number
}

/** Memory per idle connection: growth from `baseClients` to `baseClients + clients`, after GC. */
export interface IdleMemoryScenario {
  kind: 'idle-memory'
  id: string
  title: string
  baseClients: number
  clients: number
}

/** Connections are added level by level, each level checked for heartbeats and delivery. */
export interface MaxConnectionsScenario {
  kind: 'max-connections'
  id: string
  title: string
  levels: readonly number[]
  heartbeatMs: number
  /** Events emitted at each level to prove every connection still gets them. */
  events: number
  /** Bound on opening one level's connections. */
  connectTimeoutMs: number
}

export type Scenario = DeliveryScenario | IdleMemoryScenario | MaxConnectionsScenario

const delivery = (scenario: Omit<DeliveryScenario, 'kind' | 'batch' | 'title'>): DeliveryScenario => ({
  kind: 'delivery',
  batch: 10,
  title:
    scenario.rate === 0
      ? `Throughput: ${scenario.clients.toLocaleString('en')} clients × ${scenario.events.toLocaleString('en')} events, as fast as possible`
      : `Latency: ${scenario.clients.toLocaleString('en')} clients at ${scenario.rate} events/s for ${scenario.events / scenario.rate} s`,
  ...scenario,
})

/** The full-size scenarios, by id. */
export function fullScenarios(options: { latencySeconds: number; maxConnections: number }): Scenario[] {
  const seconds = options.latencySeconds
  const top = options.maxConnections
  return [
    delivery({ id: 'throughput-100', clients: 100, events: 2000, rate: 0, warmup: 0, timeoutMs: 120_000 }),
    delivery({ id: 'throughput-1000', clients: 1000, events: 200, rate: 0, warmup: 0, timeoutMs: 120_000 }),
    delivery({
      id: 'latency-10',
      clients: 1000,
      events: 10 * seconds,
      rate: 10,
      warmup: 10,
      timeoutMs: 1000 * seconds + 60_000,
    }),
    delivery({
      id: 'latency-100',
      clients: 1000,
      events: 100 * seconds,
      rate: 100,
      warmup: 100,
      timeoutMs: 1000 * seconds + 60_000,
    }),
    {
      kind: 'idle-memory',
      id: 'idle-memory',
      title: 'Idle memory per connection: 5,000 connections',
      baseClients: 100,
      clients: 5000,
    },
    {
      kind: 'max-connections',
      id: 'max-connections',
      title: `Concurrent connections with heartbeats (levels up to ${top.toLocaleString('en')})`,
      levels: [2500, 5000, 10_000, 15_000, 20_000].filter((level) => level < top).concat(top),
      heartbeatMs: 2000,
      events: 3,
      connectTimeoutMs: 60_000,
    },
  ]
}

/** The same scenarios at a size that checks correctness in seconds. */
export function smokeScenarios(): Scenario[] {
  return [
    delivery({ id: 'throughput-100', clients: 4, events: 100, rate: 0, warmup: 0, timeoutMs: 10_000 }),
    delivery({ id: 'throughput-1000', clients: 20, events: 20, rate: 0, warmup: 0, timeoutMs: 10_000 }),
    delivery({ id: 'latency-10', clients: 4, events: 10, rate: 50, warmup: 2, timeoutMs: 10_000 }),
    delivery({ id: 'latency-100', clients: 4, events: 20, rate: 100, warmup: 2, timeoutMs: 10_000 }),
    {
      kind: 'idle-memory',
      id: 'idle-memory',
      title: 'Idle memory per connection: 20 connections',
      baseClients: 5,
      clients: 20,
    },
    {
      kind: 'max-connections',
      id: 'max-connections',
      title: 'Concurrent connections with heartbeats (50)',
      levels: [50],
      heartbeatMs: 200,
      events: 3,
      connectTimeoutMs: 10_000,
    },
  ]
}
