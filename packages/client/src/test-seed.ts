// Test fixture: a small seeded PRNG, so a randomised fault test can be replayed exactly.

/** A seeded random source: `next()` in [0, 1), `below(n)` an integer in [0, n). */
export interface Random {
  readonly seed: number
  next(): number
  below(n: number): number
}

/**
 * mulberry32, seeded from `HERALD_SEED` when it is set, else from the clock. Print `seed` with
 * any failure; `HERALD_SEED=<seed> npx vitest run <file>` replays the same choices.
 */
export function seededRandom(seed: number = seedFromEnv()): Random {
  let state = seed >>> 0
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  return { seed: seed >>> 0, next, below: (n) => Math.floor(next() * n) }
}

function seedFromEnv(): number {
  const raw = process.env['HERALD_SEED']
  if (raw !== undefined && raw !== '') {
    const seed = Number(raw)
    if (!Number.isSafeInteger(seed)) throw new Error(`HERALD_SEED must be an integer, got '${raw}'`)
    return seed
  }
  return (Date.now() ^ (Math.random() * 2 ** 32)) >>> 0
}
