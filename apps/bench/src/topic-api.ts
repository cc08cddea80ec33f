// What the topic benchmark's runner can ask of its server process and of its load generator.
import type { ConnectResult, ServerApi } from './api.ts'
import type { EmitPlan, TopicLayout } from './topic-plan.ts'

/** How the topic server emits: the plan (broadcast, or each event to a drawn topic), one batch per turn. */
export interface TopicEmitCommand {
  plan: EmitPlan
  layout: TopicLayout
  /** Events emitted between two `setImmediate` yields. */
  batch: number
}

/** The methods of `servers/herald-topics.ts`: those of every bench server, with a topic-aware emit. */
export type TopicServerApi = Omit<ServerApi, 'emit'> & {
  /** Draws the plan's topics, then starts emitting; resolves with the start time (µs, monotonic). */
  emit: { params: TopicEmitCommand; result: { startMicros: number } }
}

/** Opening connections, each to the stream of its topic in `layout`. */
export interface TopicConnectCommand {
  port: number
  path: string
  layout: TopicLayout
  count: number
  concurrency: number
  timeoutMs: number
}

/** What the load generator saw between `expect` and the end of `wait`. */
export interface TopicLoadResult {
  connections: number
  /** Connections that received every event expected of them. */
  complete: number
  /** Distinct expected events received, summed over connections. */
  delivered: number
  /** Events due, summed over connections. */
  expected: number
  timedOut: boolean
  /** Monotonic time (µs) of the last expected event to arrive. */
  lastMicros: number
  /** The load generator's own CPU time and wall time over the same window. */
  cpuMicros: number
  wallMicros: number
}

/** Whether each connection got exactly its events, counted a moment after the last one arrived. */
export interface TopicIntegrity {
  connections: number
  /** Connections that received exactly their events: all of them, once, in order, and no other. */
  exact: number
  lost: number
  duplicated: number
  reordered: number
  /** Events whose sequence number no event of the connection's topic has. */
  unexpected: number
  /** Events sent to another topic than the connection's. */
  foreign: number
  /** Connections closed since `expect`, or whose response status was not 200. */
  closed: number
  badStatus: number
}

/** The methods of `loadgen-topics.ts`. */
export type TopicLoadgenApi = {
  connect: { params: TopicConnectCommand; result: ConnectResult }
  /** Resets the counters: each connection now expects its events of `plan`. */
  expect: { params: { plan: EmitPlan; layout: TopicLayout }; result: null }
  wait: { params: { timeoutMs: number }; result: TopicLoadResult }
  check: { params: null; result: TopicIntegrity }
  exit: { params: null; result: null }
}
