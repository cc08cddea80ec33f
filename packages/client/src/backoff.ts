/** Longest wait a timer takes: `setTimeout` runs anything larger after 1 ms. */
const MAX_TIMER_MS = 2 ** 31 - 1

/** How a reconnecting client spaces its attempts; every field has a default. */
export interface BackoffOptions {
  /** Shortest wait, whatever the server's `retry:` says (`retry: 0` must not mean a storm). @default 100 */
  floorMs?: number | undefined
  /** Longest wait before jitter; a larger `retry:` from the server is still honoured. @default 30000 */
  capMs?: number | undefined
  /**
   * A connection counts as healthy, and the wait after it ends starts from the base again, when it
   * stayed open as long as the wait before it (at least `floorMs`), or this long whatever that
   * wait. Shorter ones, even with events, keep doubling it. @default 1000
   */
  healthyMs?: number | undefined
  /** Each wait is stretched by a random part of itself up to this share (0.5: up to half again). @default 0.5 */
  jitter?: number | undefined
  /** The clock, in milliseconds. @default performance.now */
  now?: (() => number) | undefined
  /** Random numbers in [0, 1), for the jitter. @default Math.random */
  random?: (() => number) | undefined
}

/** The reconnection schedule of one client: call `opened` when a connection opens, `schedule` when one ends. */
export interface Backoff {
  /** A connection is open: from now on it counts toward being healthy. */
  opened(): void
  /**
   * The wait before the next attempt, counting the connection that just ended (or never opened)
   * as one more failure unless it was healthy. `baseMs` is the reconnection time (`retry:`).
   */
  next(baseMs: number): number
  /** Runs `attempt` after `next(baseMs)` and returns that wait; replaces an attempt still pending. */
  schedule(baseMs: number, attempt: () => void): number
  /** Runs `attempt` after `waitMs` (a wait from `next`); replaces an attempt still pending. */
  after(waitMs: number, attempt: () => void): void
  /** Drops a pending attempt. */
  cancel(): void
  /** Attempts in a row that ended without a healthy connection. */
  readonly failures: number
}

/**
 * Creates a backoff: each wait is `max(retry, floor)`, doubled for every connection in a row that
 * failed or ended before it was healthy, capped, then stretched by a random share so clients
 * dropped together do not return together. Never shorter than the server's `retry:`, as the SSE
 * spec allows ("optionally, wait some more").
 */
export function createBackoff(options: BackoffOptions = {}): Backoff {
  const floorMs = options.floorMs ?? 100
  const capMs = options.capMs ?? 30_000
  const healthyMs = options.healthyMs ?? 1000
  const jitter = options.jitter ?? 0.5
  const now = options.now ?? (() => performance.now())
  const random = options.random ?? Math.random
  let failures = 0
  let openedAt: number | undefined
  let lastWait = 0
  let timer: ReturnType<typeof setTimeout> | undefined

  const cancel = () => {
    clearTimeout(timer)
    timer = undefined
  }

  const next = (baseMs: number): number => {
    // Only a connection that lasted resets the count: an event alone does not, or a server that
    // sends one and closes would be reconnected to at once, again and again. Lasting as long as
    // the wait before it bounds such a server to one attempt per two floors whatever it does.
    const healthyAfter = Math.min(healthyMs, Math.max(lastWait, floorMs))
    if (openedAt !== undefined && now() - openedAt >= healthyAfter) failures = 0
    openedAt = undefined
    const start = Math.max(baseMs, floorMs)
    const doubled = Math.min(start * 2 ** Math.min(failures, 31), Math.max(capMs, start))
    failures += 1
    lastWait = Math.min(Math.round(doubled * (1 + jitter * random())), MAX_TIMER_MS)
    return lastWait
  }

  const after = (waitMs: number, attempt: () => void) => {
    cancel()
    timer = setTimeout(() => {
      timer = undefined
      attempt()
    }, waitMs)
  }

  return {
    opened() {
      openedAt = now()
    },
    next,
    schedule(baseMs, attempt) {
      const wait = next(baseMs)
      after(wait, attempt)
      return wait
    },
    after,
    cancel,
    get failures() {
      return failures
    },
  }
}
