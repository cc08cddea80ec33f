// What the runner can ask of a server process and of the load generator, as RPC API maps.

/** How a server emits: `count` events, either as fast as it can or at a fixed rate. */
export interface EmitCommand {
  count: number
  /** Events per second; 0 emits in a tight loop, `batch` events per turn of the event loop. */
  rate: number
  /** Events emitted between two `setImmediate` yields in the tight loop. */
  batch: number
}

/** A server's own resource figures. */
export interface ServerStats {
  /** CPU time (user + system, µs) since the last `emit` command, or since start. */
  cpuUserMicros: number
  cpuSystemMicros: number
  heapUsed: number
  rss: number
  external: number
  /** Streams that receive the next broadcast. */
  subscribers: number
}

/** The methods every server process serves. */
export type ServerApi = {
  subscribers: { params: null; result: number }
  /** Starts emitting; resolves with the start time (µs, monotonic clock) once the first batch is out. */
  emit: { params: EmitCommand; result: { startMicros: number } }
  /** With `gc`, runs two full collections first, so heap and RSS show what is really held. */
  stats: { params: { gc: boolean }; result: ServerStats }
  exit: { params: null; result: null }
}

/** What a server tells the runner when it listens. */
export interface ServerInfo {
  port: number
  path: string
}

/** Opening connections: how many, to where, and how many connects may be in flight. */
export interface ConnectCommand {
  port: number
  path: string
  count: number
  concurrency: number
  timeoutMs: number
}

/** The outcome of `connect`: totals over every connection opened so far. */
export interface ConnectResult {
  open: number
  failed: number
  ms: number
}

/** Latency percentiles, in microseconds. */
export interface Percentiles {
  count: number
  p50: number
  p95: number
  p99: number
  max: number
}

/** What the load generator saw between `expect` and the end of `wait`. */
export interface LoadResult {
  connections: number
  /** Connections that got every expected event. */
  complete: number
  /** Distinct events received, summed over connections. */
  delivered: number
  expected: number
  lost: number
  duplicated: number
  reordered: number
  /** Sequence numbers outside 1..count. */
  unexpected: number
  /** Connections that closed or failed while we waited. */
  closed: number
  /** Connections whose response status was not 200. */
  badStatus: number
  timedOut: boolean
  latency: Percentiles
  /** Monotonic time (µs) of the last expected event to arrive. */
  lastMicros: number
  /** The load generator's own CPU time and wall time over the same window. */
  cpuMicros: number
  wallMicros: number
  bytes: number
}

/** The methods of the load generator. */
export type LoadgenApi = {
  connect: { params: ConnectCommand; result: ConnectResult }
  /** Resets the counters: events 1..count are expected; the first `warmup` are left out of latency. */
  expect: { params: { count: number; warmup: number }; result: null }
  wait: { params: { timeoutMs: number }; result: LoadResult }
  /** Starts a liveness window; `alive` then counts connections that received bytes since. */
  mark: { params: null; result: null }
  alive: { params: null; result: { open: number; receivedSinceMark: number } }
  exit: { params: null; result: null }
}
