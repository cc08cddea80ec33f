// How many events a client may be sent from history: a token bucket per client key. A client
// that loops `Last-Event-ID` requests would otherwise pull the whole history with every request,
// thousands of events for a few hundred bytes asked.

/** Options of `createReplayBudget`. */
export interface ReplayBudgetOptions {
  /** Events a key may be replayed per window, and the most it can save up; 0 turns the budget off. */
  events: number
  /** Milliseconds a spent bucket takes to fill up again. */
  windowMs: number
  /** The clock. */
  now: () => number
}

/** Per-key replay allowances. */
export interface ReplayBudget {
  /** Whether `key` may start a replay now: its bucket is not spent. */
  allows(key: string): boolean
  /**
   * Takes `events` from `key`'s bucket (a negative count gives them back, up to a full bucket). A
   * replay is served whole however large, so the bucket may go below zero: the key then waits for
   * it to refill.
   */
  charge(key: string, events: number): void
  /**
   * Takes `estimate` events from `key`'s bucket now, before a replay of unknown size is asked
   * of the engine, so requests admitted while it is pending see them spent. The returned
   * function settles once, with the events actually replayed (0 refunds the estimate, up to a
   * full bucket).
   */
  reserve(key: string, estimate: number): (events: number) => void
  /** Milliseconds until `key` may start a replay again; 0 when it may now. */
  waitMs(key: string): number
  /** How many keys have a bucket that is not full (the others take no memory). */
  readonly size: number
}

interface Bucket {
  tokens: number
  at: number
}

/** Creates the buckets behind `replayBudget`: each refills at `events / windowMs` per millisecond. */
export function createReplayBudget({ events, windowMs, now }: ReplayBudgetOptions): ReplayBudget {
  const buckets = new Map<string, Bucket>()
  const rate = events / windowMs
  let swept = now()

  // The tokens of `key` now, refilled since it was last charged; a full bucket is forgotten.
  const tokens = (key: string, at: number): number => {
    const bucket = buckets.get(key)
    if (bucket === undefined) return events
    const refilled = bucket.tokens + (at - bucket.at) * rate
    if (refilled < events) return refilled
    buckets.delete(key)
    return events
  }
  // Keys that never come back would stay forever: once a window, forget every full bucket.
  const sweep = (at: number) => {
    if (at - swept < windowMs) return
    swept = at
    for (const key of buckets.keys()) tokens(key, at)
  }

  const charge = (key: string, spent: number) => {
    if (events === 0 || spent === 0) return
    const at = now()
    sweep(at)
    const left = tokens(key, at) - spent
    // A refund fills the bucket at most; a full one is forgotten.
    if (left >= events) buckets.delete(key)
    else buckets.set(key, { tokens: left, at })
  }

  return {
    get size() {
      return buckets.size
    },
    allows(key) {
      return events === 0 || tokens(key, now()) > 0
    },
    charge,
    reserve(key, estimate) {
      charge(key, estimate)
      let settled = false
      return (replayed) => {
        if (settled) return
        settled = true
        charge(key, replayed - estimate)
      }
    },
    waitMs(key) {
      if (events === 0) return 0
      const left = tokens(key, now())
      return left > 0 ? 0 : Math.ceil((1 - left) / rate)
    },
  }
}
