// A log-bucketed histogram: 2 % wide buckets from 1 µs to ~20 minutes, so recording is one
// Math.log and an increment, and percentiles are within 1 % of the exact value.

const GROWTH = 1.02
const SCALE = 1 / Math.log(GROWTH)
const BUCKETS = 1400

/** Records non-negative values (µs) and answers percentiles. */
export interface Histogram {
  record(value: number): void
  /** The value at percentile `p` (0–100); 0 when empty. */
  percentile(p: number): number
  readonly count: number
  readonly max: number
  reset(): void
}

/** Creates an empty histogram. */
export function createHistogram(): Histogram {
  const counts = new Float64Array(BUCKETS)
  let count = 0
  let max = 0
  return {
    get count() {
      return count
    },
    get max() {
      return max
    },
    record(value) {
      const bucket = value < 1 ? 0 : Math.min(BUCKETS - 1, 1 + Math.floor(Math.log(value) * SCALE))
      counts[bucket] = (counts[bucket] ?? 0) + 1
      count += 1
      if (value > max) max = value
    },
    percentile(p) {
      if (count === 0) return 0
      const rank = Math.ceil((p / 100) * count)
      let seen = 0
      for (let bucket = 0; bucket < BUCKETS; bucket++) {
        seen += counts[bucket] ?? 0
        // The bucket's geometric middle, capped by the largest value seen.
        if (seen >= rank) return bucket === 0 ? 0 : Math.min(max, GROWTH ** (bucket - 0.5))
      }
      return max
    },
    reset() {
      counts.fill(0)
      count = 0
      max = 0
    },
  }
}
