import { afterEach, beforeEach, expect, it, vi } from 'vitest'
import { createLeaderWatch, type LeaderWatch } from './leader-watch.ts'

// The shared client's timing under fake timers: a freeze is the clock jumping with no timer run
// (`setSystemTime`), as a frozen page runs none, then the late tick.
let watch: LeaderWatch | undefined
let leading = false
let calls: string[] = []

beforeEach(() => {
  vi.useFakeTimers({ now: 0 })
  leading = false
  calls = []
})
afterEach(() => {
  watch?.stop()
  watch = undefined
  vi.useRealTimers()
})

const start = (timeoutMs = 3000) => {
  watch = createLeaderWatch({
    timeoutMs,
    leading: () => leading,
    beacon: () => calls.push(`beacon@${Date.now()}`),
    steal: () => calls.push(`steal@${Date.now()}`),
    stall: () => {
      leading = false
      calls.push(`stall@${Date.now()}`)
    },
  })
  return watch
}
/** Freezes the tab for `ms`: time passes, no timer runs. */
const freeze = (ms: number) => vi.setSystemTime(Date.now() + ms)

it('the holder sends a beacon every third of the timeout', () => {
  leading = true
  start()
  vi.advanceTimersByTime(999)
  expect(calls).toEqual([])
  vi.advanceTimersByTime(2001)
  expect(calls).toEqual(['beacon@1000', 'beacon@2000', 'beacon@3000'])
})

it('a tab steals after the timeout of silence, not before, and waits a whole timeout again', () => {
  const watch = start()
  vi.advanceTimersByTime(3000) // exactly the timeout: not more
  expect(calls).toEqual([])
  vi.advanceTimersByTime(1000)
  expect(calls).toEqual(['steal@4000'])
  vi.advanceTimersByTime(3000)
  expect(calls).toEqual(['steal@4000'])
  vi.advanceTimersByTime(1000)
  expect(calls).toEqual(['steal@4000', 'steal@8000'])
  // Each word from the holder starts the wait again.
  calls = []
  for (let n = 0; n < 10; n++) {
    vi.advanceTimersByTime(2900)
    watch.heard()
  }
  expect(calls).toEqual([])
})

it('with a timeout of 0 there is no timer: it never steals, beacons or stalls', () => {
  const watch = start(0)
  expect(vi.getTimerCount()).toBe(0)
  freeze(60_000)
  vi.advanceTimersByTime(60_000)
  leading = true
  expect(watch.mayRelay()).toBe(true)
  expect(calls).toEqual([])
})

it('a tab not holding the connection that was frozen does not steal on waking', () => {
  start()
  vi.advanceTimersByTime(2000)
  freeze(10_000)
  vi.advanceTimersByTime(1000) // the tick due at 3000 runs at 13000
  expect(calls).toEqual([])
  // It gives the holder a whole timeout to be heard again before judging it.
  vi.advanceTimersByTime(3000)
  expect(calls).toEqual([])
  vi.advanceTimersByTime(1000)
  expect(calls).toEqual(['steal@17000'])
})

it('a late tick of a tab that heard from the holder meanwhile (a hidden tab, throttled) is no freeze', () => {
  const watch = start()
  vi.advanceTimersByTime(1000)
  // Notes still arrive in a hidden tab (the holder's beacon every second); its timers do not run.
  for (let n = 0; n < 60; n++) {
    freeze(1000)
    watch.heard()
  }
  vi.advanceTimersByTime(1000)
  expect(calls).toEqual([])
})

it('a frozen tab whose first task on waking is a note from the holder waits a whole timeout again', () => {
  const watch = start()
  vi.advanceTimersByTime(2000)
  freeze(10_000)
  watch.heard()
  vi.advanceTimersByTime(3000) // the ticks after it are on time
  expect(calls).toEqual([])
  vi.advanceTimersByTime(1000)
  expect(calls).toEqual(['steal@16000'])
})

it('a tick late by less than the timeout is no freeze', () => {
  const watch = start()
  vi.advanceTimersByTime(1000)
  watch.heard()
  freeze(1900) // this tick comes 2900 ms after the last
  vi.advanceTimersByTime(1000)
  expect(calls).toEqual([])
})

it('a frozen holder stalls on its late tick, once, and waits a whole timeout for the new holder', () => {
  leading = true
  start()
  vi.advanceTimersByTime(1000)
  freeze(5000)
  vi.advanceTimersByTime(1000)
  expect(calls).toEqual(['beacon@1000', 'stall@7000'])
  expect(leading).toBe(false)
  vi.advanceTimersByTime(3000)
  expect(calls).toEqual(['beacon@1000', 'stall@7000'])
})

it('a stalled holder refuses to relay, even before its late tick, and stalls once', () => {
  leading = true
  const watch = start()
  vi.advanceTimersByTime(1000)
  watch.beat()
  expect(watch.mayRelay()).toBe(true)
  freeze(3000) // silent exactly the timeout: it may still relay
  expect(watch.mayRelay()).toBe(true)
  freeze(1)
  // A stream chunk runs before the late tick: the holder must not relay it.
  expect(watch.mayRelay()).toBe(false)
  expect(calls).toEqual(['beacon@1000', 'stall@4001'])
  vi.advanceTimersByTime(1000) // the late tick: no second stall, and no steal yet
  expect(calls).toEqual(['beacon@1000', 'stall@4001'])
})

it('a holder relaying events stays alive between beacons', () => {
  leading = true
  const watch = start()
  for (let n = 0; n < 30; n++) {
    vi.advanceTimersByTime(200)
    expect(watch.mayRelay()).toBe(true)
    watch.beat()
  }
  expect(calls.every((call) => call.startsWith('beacon@'))).toBe(true)
})

it('stop clears the timer', () => {
  start().stop()
  expect(vi.getTimerCount()).toBe(0)
})
