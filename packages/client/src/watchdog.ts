import { type Backoff, createBackoff } from './backoff.ts'

// Dead-connection watchdog. The server's `herald:hello` gives its heartbeat interval; when nothing
// arrived for three intervals (plus the retry wait after a drop), the connection is half-open: it
// is dropped and reopened from the last id. It keeps watching reconnection attempts too, so one
// that is accepted but never answered is given up as well. All its state lives here, changed only
// through the methods below, so its timing is tested on fake timers (watchdog.test.ts).

/** Shortest and longest heartbeat interval watched: the value comes from the server. */
const MIN_HEARTBEAT_MS = 25
const MAX_HEARTBEAT_MS = 600_000
/** Most extra time a reconnection attempt in a row is given for its answer. */
const MAX_ANSWER_ALLOWANCE_MS = 30_000

/** What a watchdog acts on, and its clock. */
export interface WatchdogOptions {
  /**
   * The connection sent nothing for `silentMs` (three heartbeat intervals): drop it and say so.
   * Unless `stop()` was called meanwhile, the watchdog then schedules `reconnect`.
   */
  onStall(silentMs: number): void
  /** Opens a new connection, from the last event id. */
  reconnect(): void
  /** The clock, in milliseconds. @default performance.now */
  now?: (() => number) | undefined
  /** How its reconnections are spaced. @default createBackoff() */
  backoff?: Backoff | undefined
}

/** Watches one client's connections for silence; inert until `watch` is given an interval. */
export interface Watchdog {
  /**
   * The server's `herald:hello`: watch for `heartbeatMs` (0 stops watching), and wait `retryMs`
   * (when given) before reconnecting. Both are bounded: they come from the server.
   */
  watch(heartbeatMs: number, retryMs?: number): void
  /** Something arrived: the connection is alive. */
  touch(): void
  /** A connection opened: from now on it counts toward resetting the reconnection backoff. */
  opened(): void
  /** The EventSource waits `waitMs` (the server's retry time when not given) before reconnecting by itself: allow that much quiet on top. */
  waiting(waitMs?: number): void
  /** Stops watching and drops a pending reconnection, for good. */
  stop(): void
  /** The server's retry time, bounded: what a new connection starts with. @default 3000 */
  readonly retryMs: number
}

/** Creates a watchdog; it checks once per heartbeat interval, on an unref'd timer. */
export function createWatchdog(options: WatchdogOptions): Watchdog {
  const now = options.now ?? (() => performance.now())
  // Watchdog reconnections wait like the EventSource's own: the server's retry time (at least a
  // floor), doubled while they keep coming, jittered; only a connection that lasted resets it.
  const backoff = options.backoff ?? createBackoff({ now })
  let timer: ReturnType<typeof setInterval> | undefined
  let heartbeatMs = 0
  let retryMs = 3000 // the server's, from `herald:hello`
  let lastActivity = 0
  let allowance = 0 // extra quiet time allowed while the EventSource waits out `retry`
  let stopped = false

  const halt = () => {
    clearInterval(timer)
    timer = undefined
  }

  const stall = () => {
    options.onStall(3 * heartbeatMs)
    // A hook may have closed the client: then nothing reconnects it.
    if (stopped) return
    const wait = backoff.schedule(retryMs, options.reconnect)
    // The new attempt's silence is counted from when it starts, and each attempt in a row gets
    // longer for its answer: a slow link is given time instead of being cut again and again.
    lastActivity = now() + wait
    allowance = Math.min(3 * heartbeatMs * 2 ** (backoff.failures - 1), MAX_ANSWER_ALLOWANCE_MS)
  }

  return {
    watch(advertised, advertisedRetryMs) {
      if (stopped) return
      // Used for the allowance and the reconnection wait only; bounded like the heartbeat interval.
      if (advertisedRetryMs !== undefined) retryMs = Math.min(Math.max(advertisedRetryMs, 0), MAX_HEARTBEAT_MS) || 0
      if (!(advertised > 0)) return halt()
      const interval = Math.min(Math.max(advertised, MIN_HEARTBEAT_MS), MAX_HEARTBEAT_MS)
      if (timer !== undefined && interval === heartbeatMs) return
      halt()
      heartbeatMs = interval
      timer = setInterval(() => {
        // The server pings a stream after a whole idle interval, so up to two may pass in silence.
        if (now() - lastActivity > 3 * heartbeatMs + allowance) stall()
      }, heartbeatMs)
      ;(timer as { unref?: () => void }).unref?.()
    },
    touch() {
      lastActivity = now()
      allowance = 0
    },
    opened() {
      backoff.opened()
    },
    waiting(waitMs) {
      lastActivity = now()
      allowance = waitMs ?? retryMs
    },
    stop() {
      stopped = true
      halt()
      backoff.cancel()
    },
    get retryMs() {
      return retryMs
    },
  }
}
