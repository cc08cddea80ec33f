import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { type Idle, startHeartbeat } from './heartbeat.ts'

beforeEach(() => {
  vi.useFakeTimers()
})
afterEach(() => {
  vi.useRealTimers()
})

/** Streams and the pings each got. */
function setup(count: number) {
  const streams = Array.from({ length: count }, (_, index) => ({ index, idle: false }))
  const pings: number[] = []
  const ping = (stream: Idle & { index: number }) => {
    pings.push(stream.index)
    stream.idle = false // as a write does
  }
  return { streams, pings, ping }
}

describe('heartbeat', () => {
  it('pings only the streams that got nothing for a whole interval', () => {
    const { streams, pings, ping } = setup(2)
    const stop = startHeartbeat({ everyMs: 1000, streams, ping })
    vi.advanceTimersByTime(999)
    expect(pings).toEqual([])
    vi.advanceTimersByTime(1) // first tick: both were written to (the prelude), so both are marked idle
    expect(pings).toEqual([])
    ;(streams[0] as Idle).idle = false // stream 0 gets an event
    vi.advanceTimersByTime(1000)
    expect(pings).toEqual([1])
    vi.advanceTimersByTime(1000) // both idle now; an idle stream is pinged at every tick
    expect(pings).toEqual([1, 0, 1])
    ;(streams[1] as Idle).idle = false
    vi.advanceTimersByTime(1000)
    expect(pings).toEqual([1, 0, 1, 0])
    stop()
  })

  it('reads the streams at every tick: one added later is pinged too', () => {
    const { streams, pings, ping } = setup(0)
    const live = new Set(streams)
    const stop = startHeartbeat({ everyMs: 50, streams: live, ping })
    live.add({ index: 7, idle: true })
    vi.advanceTimersByTime(50)
    expect(pings).toEqual([7])
    stop()
  })

  it('stop() ends the ticks; 0 starts no timer', () => {
    const { streams, pings, ping } = setup(1)
    const stop = startHeartbeat({ everyMs: 10, streams, ping })
    expect(vi.getTimerCount()).toBe(1)
    stop()
    expect(vi.getTimerCount()).toBe(0)
    vi.advanceTimersByTime(100)
    expect(pings).toEqual([])
    startHeartbeat({ everyMs: 0, streams, ping })
    expect(vi.getTimerCount()).toBe(0)
  })

  it('takes its timer from the options', () => {
    const ticks: (() => void)[] = []
    let stopped = 0
    const { streams, pings, ping } = setup(1)
    const stop = startHeartbeat({
      everyMs: 5,
      streams,
      ping,
      repeat: (ms, tick) => {
        expect(ms).toBe(5)
        ticks.push(tick)
        return () => {
          stopped += 1
        }
      },
    })
    ticks[0]?.()
    ticks[0]?.()
    expect(pings).toEqual([0])
    stop()
    expect(stopped).toBe(1)
  })
})
