import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { createBackoff } from './backoff.ts'
import { createWatchdog, type Watchdog } from './watchdog.ts'

// The dead-connection watchdog alone, on fake timers: when it gives up on a silent connection,
// what it allows on top, and how its reconnections are spaced. client.watchdog.test.ts proves
// the wiring end to end, through real sockets.

beforeEach(() => {
  vi.useFakeTimers()
})
afterEach(() => {
  vi.useRealTimers()
})

/** A watchdog on the fake clock, without jitter, recording when it stalled and reconnected (ms from its start). */
function setup(onStall: (watchdog: Watchdog) => void = () => {}) {
  const start = Date.now()
  const elapsed = () => Date.now() - start
  const stalls: { at: number; silentMs: number }[] = []
  const reconnects: number[] = []
  const watchdog: Watchdog = createWatchdog({
    onStall(silentMs) {
      stalls.push({ at: elapsed(), silentMs })
      onStall(watchdog)
    },
    reconnect: () => reconnects.push(elapsed()),
    now: () => Date.now(),
    backoff: createBackoff({ now: () => Date.now(), random: () => 0 }),
  })
  const stallTimes = () => stalls.map(({ at }) => at)
  return { watchdog, stalls, stallTimes, reconnects, elapsed }
}

describe('createWatchdog: when it gives up', () => {
  it('watches nothing until the server announces a heartbeat', () => {
    const { watchdog, stalls } = setup()
    watchdog.touch()
    vi.advanceTimersByTime(3_600_000)
    expect(stalls).toEqual([])
  })

  it('stops watching on heartbeatMs 0, as on any value that is not positive', () => {
    for (const off of [0, -5, Number.NaN]) {
      const { watchdog, stalls } = setup()
      watchdog.touch()
      watchdog.watch(50)
      vi.advanceTimersByTime(100)
      watchdog.watch(off)
      vi.advanceTimersByTime(3_600_000)
      expect(stalls).toEqual([])
    }
  })

  it('gives up after more than three silent intervals, checked once per interval', () => {
    const { watchdog, stalls } = setup()
    watchdog.touch()
    watchdog.watch(50)
    vi.advanceTimersByTime(150) // three intervals of silence are allowed: the server pings after each idle one
    expect(stalls).toEqual([])
    vi.advanceTimersByTime(50)
    expect(stalls).toEqual([{ at: 200, silentMs: 150 }])
  })

  it('counts the silence from the last sign of life', () => {
    const { watchdog, stallTimes } = setup()
    watchdog.touch()
    watchdog.watch(50)
    for (let i = 0; i < 20; i++) {
      vi.advanceTimersByTime(140)
      watchdog.touch()
    }
    expect(stallTimes()).toEqual([])
    // Last touched at 2800: the first check more than 150 ms later is at 3000.
    vi.advanceTimersByTime(199)
    expect(stallTimes()).toEqual([])
    vi.advanceTimersByTime(1)
    expect(stallTimes()).toEqual([3000])
  })

  it('bounds the interval the server announces to 25 ms … 10 min', () => {
    const fast = setup()
    fast.watchdog.touch()
    fast.watchdog.watch(1)
    vi.advanceTimersByTime(100)
    expect(fast.stalls).toEqual([{ at: 100, silentMs: 75 }])

    const slow = setup()
    slow.watchdog.touch()
    slow.watchdog.watch(2 ** 31 - 1)
    vi.advanceTimersByTime(2_400_000 - 1)
    expect(slow.stalls).toEqual([])
    vi.advanceTimersByTime(1)
    expect(slow.stalls).toEqual([{ at: 2_400_000, silentMs: 1_800_000 }])
  })

  it('keeps its timer when the same interval is announced again, and replaces it for a new one', () => {
    const same = setup()
    same.watchdog.touch()
    same.watchdog.watch(50)
    vi.advanceTimersByTime(30)
    same.watchdog.watch(50)
    vi.advanceTimersByTime(170)
    expect(same.stallTimes()).toEqual([200]) // checked at 50, 100, 150, 200: not restarted at 30

    const changed = setup()
    changed.watchdog.touch()
    changed.watchdog.watch(50)
    vi.advanceTimersByTime(30)
    changed.watchdog.watch(100) // checked at 130, 230, 330: more than 300 ms silent at 330
    vi.advanceTimersByTime(299)
    expect(changed.stalls).toEqual([])
    vi.advanceTimersByTime(1)
    expect(changed.stalls).toEqual([{ at: 330, silentMs: 300 }])
  })
})

describe('createWatchdog: while the EventSource waits out its retry', () => {
  it('allows the wait it announced on top of the three intervals', () => {
    const { watchdog, stallTimes } = setup()
    watchdog.touch()
    watchdog.watch(50, 20)
    vi.advanceTimersByTime(10)
    watchdog.waiting(1000) // silent from 10: more than 150 + 1000 ms at the check at 1200
    vi.advanceTimersByTime(1189)
    expect(stallTimes()).toEqual([])
    vi.advanceTimersByTime(1)
    expect(stallTimes()).toEqual([1200])
  })

  it("allows the server's retry: when the EventSource announced no wait", () => {
    const { watchdog, stallTimes } = setup()
    watchdog.touch()
    watchdog.watch(50, 1000)
    watchdog.waiting()
    vi.advanceTimersByTime(1199)
    expect(stallTimes()).toEqual([])
    vi.advanceTimersByTime(1)
    expect(stallTimes()).toEqual([1200])
  })

  it('drops the allowance at the next sign of life', () => {
    const { watchdog, stallTimes } = setup()
    watchdog.touch()
    watchdog.watch(50)
    watchdog.waiting(1000)
    vi.advanceTimersByTime(500)
    watchdog.touch()
    vi.advanceTimersByTime(200)
    expect(stallTimes()).toEqual([700])
  })
})

describe('createWatchdog: its reconnections', () => {
  it("wait the server's retry: (at least 100 ms), doubled while they keep failing, each watched longer", () => {
    const { watchdog, stalls, reconnects } = setup()
    watchdog.touch()
    watchdog.watch(50, 20)
    vi.advanceTimersByTime(2000)
    // Stall at 200; reconnect after 100 (the floor), watched from then with 150 ms more: stall at
    // 650 (silent > 300 from 300); after 200: at 850, with 300 more: stall at 1350 (> 450 from 850);
    // after 400: at 1750.
    expect(stalls.map(({ at }) => at)).toEqual([200, 650, 1350])
    expect(reconnects).toEqual([300, 850, 1750])
    expect(new Set(stalls.map(({ silentMs }) => silentMs))).toEqual(new Set([150]))
  })

  it('give an attempt at most 30 s more for its answer', () => {
    const { watchdog, stallTimes, reconnects } = setup()
    watchdog.touch()
    watchdog.watch(10_000, 0)
    vi.advanceTimersByTime(200_000)
    // 40 000: stall; 40 100: reconnect, 30 s + 30 s allowed: stall at 110 000; 110 200:
    // reconnect, 30 s + 30 s (not 60 s) allowed: stall at 180 000; 180 400: reconnect.
    expect(stallTimes()).toEqual([40_000, 110_000, 180_000])
    expect(reconnects).toEqual([40_100, 110_200, 180_400])
  })

  it('start again from the first wait once a connection opened and lasted', () => {
    const { watchdog, stallTimes, reconnects, elapsed } = setup()
    watchdog.touch()
    watchdog.watch(50, 20)
    vi.advanceTimersByTime(300) // stall at 200, reconnect at 300
    watchdog.opened()
    for (let i = 0; i < 10; i++) {
      watchdog.touch()
      vi.advanceTimersByTime(100)
    }
    expect(elapsed()).toBe(1300)
    vi.advanceTimersByTime(1000)
    // Silent from 1200: stall at 1400, then the first wait again (100) and the first allowance (150).
    expect(stallTimes()).toEqual([200, 1400, 1850])
    expect(reconnects).toEqual([300, 1500, 2050])
  })

  it('never come once stopped, from inside onStall or afterwards', () => {
    const inside = setup((watchdog) => watchdog.stop())
    inside.watchdog.touch()
    inside.watchdog.watch(50)
    vi.advanceTimersByTime(60_000)
    expect(inside.stallTimes()).toEqual([200])
    expect(inside.reconnects).toEqual([])

    const after = setup()
    after.watchdog.touch()
    after.watchdog.watch(50, 20)
    vi.advanceTimersByTime(250) // stalled at 200, reconnecting at 300
    after.watchdog.stop()
    after.watchdog.watch(50)
    vi.advanceTimersByTime(60_000)
    expect(after.stallTimes()).toEqual([200])
    expect(after.reconnects).toEqual([])
  })
})

describe("createWatchdog: the server's retry time", () => {
  it('is 3000 until announced, then bounded to 0 … 10 min', () => {
    const { watchdog } = setup()
    expect(watchdog.retryMs).toBe(3000)
    watchdog.watch(0, 20)
    expect(watchdog.retryMs).toBe(20)
    watchdog.watch(0, 2 ** 31 - 1)
    expect(watchdog.retryMs).toBe(600_000)
    watchdog.watch(0)
    expect(watchdog.retryMs).toBe(600_000)
  })
})
