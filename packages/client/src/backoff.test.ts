import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { type BackoffOptions, createBackoff } from './backoff.ts'

// The reconnection schedule alone, on fake timers: floor, doubling, cap, jitter and when it resets.

beforeEach(() => {
  vi.useFakeTimers()
})
afterEach(() => {
  vi.useRealTimers()
})

/** A seeded generator (mulberry32), so the jitter is the same on every run. */
function seeded(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32
  }
}

/** A backoff on the fake clock, without jitter unless asked. */
const backoff = (options: BackoffOptions = {}) => createBackoff({ now: () => Date.now(), random: () => 0, ...options })

describe('createBackoff: the waits', () => {
  it('never waits less than the floor, even for retry: 0', () => {
    const b = backoff()
    expect(b.next(0)).toBe(100)
    expect(backoff({ floorMs: 250 }).next(0)).toBe(250)
    expect(backoff().next(20)).toBe(100)
    expect(backoff().next(3000)).toBe(3000)
  })

  it('doubles from the base for each failure in a row, up to the cap', () => {
    const b = backoff()
    const waits = Array.from({ length: 12 }, () => b.next(3000))
    expect(waits).toEqual([3000, 6000, 12_000, 24_000, ...Array(8).fill(30_000)])
    expect(b.failures).toBe(12)
    const floored = backoff({ capMs: 1000 })
    expect(Array.from({ length: 6 }, () => floored.next(0))).toEqual([100, 200, 400, 800, 1000, 1000])
  })

  it("honours a server's retry above the cap, and never exceeds what a timer takes", () => {
    expect(backoff().next(60_000)).toBe(60_000)
    const b = backoff({ random: () => 0.999_999 })
    expect(b.next(2 ** 31 - 1)).toBe(2 ** 31 - 1)
    for (let i = 0; i < 40; i++) expect(b.next(20)).toBeLessThanOrEqual(2 ** 31 - 1)
  })

  it('stretches each wait by up to half of itself at random, never below it', () => {
    expect(backoff({ random: () => 0.5 }).next(1000)).toBe(1250)
    expect(backoff({ random: () => 0.999_999 }).next(1000)).toBe(1500)
    expect(backoff({ random: () => 0.5, jitter: 0 }).next(1000)).toBe(1000)
    const b = backoff({ random: () => 0.5 })
    expect([b.next(100), b.next(100), b.next(100)]).toEqual([125, 250, 500])
  })

  it('spreads 100 clients dropped together over the jitter window', () => {
    const random = seeded(42)
    const waits = Array.from({ length: 100 }, () => createBackoff({ random }).next(3000))
    const window = 1500 // 3000 ms, stretched by up to a half
    for (const wait of waits) {
      expect(wait).toBeGreaterThanOrEqual(3000)
      expect(wait).toBeLessThanOrEqual(3000 + window)
    }
    // Without jitter all 100 come back at 3000 ms: a spread of 0.
    expect(Math.max(...waits) - Math.min(...waits)).toBeGreaterThan(0.9 * window)
    // Spread over the window, not bunched: every fifth of it holds between 5 and 40 clients.
    const fifths = [0, 1, 2, 3, 4].map(
      (fifth) => waits.filter((wait) => Math.min(4, Math.floor(((wait - 3000) / window) * 5)) === fifth).length,
    )
    for (const count of fifths) expect(count).toBeGreaterThanOrEqual(5)
    for (const count of fifths) expect(count).toBeLessThanOrEqual(40)
  })
})

describe('createBackoff: when it resets', () => {
  it('resets only after a connection stayed open as long as the wait before it', () => {
    const b = backoff()
    expect(b.next(100)).toBe(100) // never opened
    b.opened()
    vi.advanceTimersByTime(99)
    expect(b.next(100)).toBe(200) // open 99 ms after a 100 ms wait: ended quickly
    b.opened()
    vi.advanceTimersByTime(199)
    expect(b.next(100)).toBe(400) // open 199 ms after a 200 ms wait: still quick
    b.opened()
    vi.advanceTimersByTime(400)
    expect(b.next(100)).toBe(100) // open as long as its wait: healthy, back to the base
    expect(b.next(100)).toBe(200) // the next attempt failed before opening
  })

  it('counts a connection open for healthyMs as healthy, however long the wait before it', () => {
    const b = backoff()
    for (let i = 0; i < 10; i++) b.next(3000)
    b.opened()
    vi.advanceTimersByTime(999)
    expect(b.next(3000)).toBe(30_000) // open 999 ms: not healthy
    b.opened()
    vi.advanceTimersByTime(1000)
    expect(b.next(3000)).toBe(3000) // open 1 s: healthy
  })

  it('counts an opening only for the connection that follows it', () => {
    const b = backoff()
    b.opened()
    vi.advanceTimersByTime(5000)
    expect(b.next(100)).toBe(100)
    // No connection opened since: time passing while waiting is no health.
    vi.advanceTimersByTime(5000)
    expect(b.next(100)).toBe(200)
  })
})

describe('createBackoff: scheduling', () => {
  it('runs the attempt after the wait, not before; cancel drops it; a new schedule replaces it', () => {
    const b = backoff()
    const attempt = vi.fn()
    expect(b.schedule(300, attempt)).toBe(300)
    vi.advanceTimersByTime(299)
    expect(attempt).not.toHaveBeenCalled()
    vi.advanceTimersByTime(1)
    expect(attempt).toHaveBeenCalledTimes(1)

    expect(b.schedule(300, attempt)).toBe(600)
    b.cancel()
    vi.advanceTimersByTime(10_000)
    expect(attempt).toHaveBeenCalledTimes(1)

    const other = vi.fn()
    b.schedule(300, attempt)
    b.schedule(300, other)
    vi.advanceTimersByTime(10_000)
    expect(attempt).toHaveBeenCalledTimes(1)
    expect(other).toHaveBeenCalledTimes(1)
  })

  it("against 'retry: 0, one event, close' in a loop: under 5 attempts a second after the first 2 s", () => {
    const attempts: number[] = []
    const b = createBackoff({ now: () => Date.now() }) // real jitter
    const start = Date.now()
    // Each attempt opens, gets its event and is closed by the server 5 ms later.
    const connect = () => {
      attempts.push(Date.now() - start)
      b.opened()
      setTimeout(() => b.schedule(0, connect), 5)
    }
    connect()
    vi.advanceTimersByTime(60_000)
    // Before the fix (the event reset the count, retry: 0 honoured): one attempt every 5 ms.
    expect(attempts.filter((at) => at < 2000).length).toBeLessThanOrEqual(10)
    for (let second = 2; second < 60; second++) {
      expect(attempts.filter((at) => at >= second * 1000 && at < (second + 1) * 1000).length).toBeLessThanOrEqual(5)
    }
    // And it settles at the cap: the last waits are 30 to 45 s.
    expect(attempts.length).toBeLessThanOrEqual(12)
  })

  it('a server that holds each connection exactly as long as it can without a doubling gets under 5 a second', () => {
    const attempts: number[] = []
    const b = createBackoff({ now: () => Date.now() })
    let wait = 0
    // The worst case: it knows each wait and holds the next connection just that long (at least 100 ms).
    const connect = () => {
      attempts.push(Date.now())
      b.opened()
      setTimeout(
        () => {
          wait = b.schedule(0, connect)
        },
        Math.max(wait, 100),
      )
    }
    connect()
    vi.advanceTimersByTime(20_000)
    expect(attempts.length).toBeLessThanOrEqual(100)
    expect(attempts.length).toBeGreaterThanOrEqual(60) // and it does reset: the waits stay at the floor
  })

  it('a server that keeps each connection open for healthyMs gets at most one attempt per healthyMs', () => {
    const attempts: number[] = []
    const b = createBackoff({ now: () => Date.now() })
    const connect = () => {
      attempts.push(Date.now())
      b.opened()
      setTimeout(() => b.schedule(0, connect), 1000)
    }
    connect()
    vi.advanceTimersByTime(20_000)
    // Each wait is back at the floor (100–150 ms) after a healthy second.
    expect(attempts.length).toBeGreaterThanOrEqual(17)
    expect(attempts.length).toBeLessThanOrEqual(19)
  })
})
