// The cases and sizes of the Redis benchmark (issue #10): the in-memory engine on one instance
// against the Redis engine on two instances sharing one Redis, with one Redis instance as a
// diagnostic, at full size and at the smoke size the test suite runs.

/** One case: which engine, and how many Herald instances share the clients. */
export interface RedisCase {
  id: 'memory' | 'redis-2' | 'redis-1'
  title: string
  engine: 'memory' | 'redis'
  /** Herald processes; the clients are split evenly across them, and instance 1 emits every event. */
  instances: number
}

/** Every case, in the order each round runs them; `memory` is the baseline of the ratios. */
export const REDIS_CASES: readonly RedisCase[] = [
  { id: 'memory', title: 'In-memory engine, one instance', engine: 'memory', instances: 1 },
  { id: 'redis-2', title: 'Redis engine, two instances on one Redis', engine: 'redis', instances: 2 },
  // A diagnostic: the engine's cost with as many streams per process as `memory`.
  { id: 'redis-1', title: 'Redis engine, one instance (diagnostic)', engine: 'redis', instances: 1 },
]

/** The two phases every run measures, on the same connections. */
export interface RedisSizes {
  clients: number
  /** Paced phase: `rateEvents` events at `rate` per second; the first `warmup` left out of latency. */
  rate: number
  rateEvents: number
  warmup: number
  /** Burst phase: `burstEvents` events in a tight loop, `batch` per event-loop turn (throughput). */
  burstEvents: number
  batch: number
  timeoutMs: number
}

/** The target size (1,000 clients, 100 events/s for `seconds`), or a smoke size. */
export function redisSizes(size: 'full' | 'smoke', seconds = 10): RedisSizes {
  return size === 'full'
    ? {
        clients: 1000,
        rate: 100,
        rateEvents: 100 * seconds,
        warmup: 100,
        burstEvents: 500,
        batch: 10,
        timeoutMs: 1000 * seconds + 60_000,
      }
    : { clients: 20, rate: 100, rateEvents: 30, warmup: 5, burstEvents: 50, batch: 10, timeoutMs: 10_000 }
}
