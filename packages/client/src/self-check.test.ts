import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { createProbe, type Probe } from './self-check.ts'

// The self-check's judgement on fake time: what arrives when, with which server emit times (the
// `<ms>` of each id). client.self-check.test.ts runs it between a real server, proxies and client.

let warnings: string[]
let probe: Probe
beforeEach(() => {
  vi.useFakeTimers()
  warnings = []
  probe = createProbe(
    (message) => warnings.push(message),
    () => Date.now(),
  )
})
afterEach(() => {
  vi.useRealTimers()
})

const at = (ms: number) => vi.setSystemTime(ms)
let seq = 0
const id = (emittedMs: number) => `Ab3x9Kq2-${emittedMs}-${seq++}`

/** A connection opened at `ms`, whose hello announced `heartbeatMs`. */
function open(ms: number, heartbeatMs: number) {
  at(ms)
  probe.opened()
  probe.hello(heartbeatMs)
}

/** Events emitted every `everyMs` from `fromMs` to `toMs`, each arriving `delay(emittedMs)` later. */
function events(fromMs: number, toMs: number, everyMs: number, arrival: (emittedMs: number) => number) {
  for (let emitted = fromMs; emitted < toMs; emitted += everyMs) {
    at(arrival(emitted))
    probe.arrived(id(emitted))
  }
}

/** Held by something that releases what it holds every `batchMs`. */
const batched = (batchMs: number) => (emitted: number) => Math.ceil((emitted + 1) / batchMs) * batchMs

describe('batching', () => {
  it('is reported once, after three held deliveries, naming the spread', () => {
    open(0, 15_000)
    events(10, 590, 20, batched(200)) // three batches, the third not yet over
    expect(warnings).toEqual([])
    events(590, 5000, 20, batched(200))
    expect(warnings).toHaveLength(1)
    expect(warnings[0]).toMatch(
      /^events arrive batched: 3 of the last \d deliveries held messages sent up to 180 ms apart/,
    )
  })

  it('is not reported for steady events, with jitter, or a constant latency', () => {
    open(0, 15_000)
    const jitter = [0, 3, 1, 7, 2, 9, 0, 4]
    events(10, 10_000, 20, (emitted) => emitted + 40 + (jitter[(emitted / 20) % jitter.length] ?? 0))
    events(10_000, 20_000, 250, (emitted) => emitted + 2)
    expect(warnings).toEqual([])
  })

  it('is not reported for events emitted together, arriving together', () => {
    open(0, 15_000)
    for (let burst = 1; burst <= 20; burst++) events(burst * 500, burst * 500 + 50, 1, () => burst * 500 + 60)
    expect(warnings).toEqual([])
  })

  it('is not reported for the client stalling now and then (a breakpoint, a long task)', () => {
    open(0, 15_000)
    // A stall of 300 ms every half second, ten events apart: never three in eight deliveries.
    for (let stall = 0; stall < 10; stall++) {
      const from = stall * 500
      events(from, from + 300, 20, () => from + 300) // held by the stall
      events(from + 300, from + 500, 20, (emitted) => emitted + 1)
    }
    expect(warnings).toEqual([])
  })

  it('does not judge what arrives with the hello: a replay after each reconnect', () => {
    for (let connection = 0; connection < 6; connection++) {
      const start = 100_000 + connection * 3000
      open(start, 15_000)
      events(start - 90_000, start, 100, () => start) // ninety seconds of history at once
      events(start + 10, start + 50, 20, (emitted) => emitted + 1)
    }
    expect(warnings).toEqual([])
  })

  it('reports pings that arrive bunched, from their interval', () => {
    open(0, 100)
    for (let release = 1; release <= 5; release++) {
      for (const ping of [release * 250 - 150, release * 250 - 50]) {
        at(release * 250 + (ping % 2))
        probe.arrived(undefined)
      }
    }
    expect(warnings).toHaveLength(1)
    expect(warnings[0]).toMatch(/sent up to 100 ms apart/)
  })

  it('ignores ids of another shape and servers without a hello', () => {
    at(0)
    probe.opened()
    events(10, 3000, 20, batched(200)) // no hello yet: not a Herald stream
    probe.hello(15_000)
    for (let release = 1; release < 20; release++) {
      at(release * 200)
      for (const other of ['a', 'b', 'c']) probe.arrived(`${other}${release}`)
    }
    expect(warnings).toEqual([])
  })
})

describe('idle timeout', () => {
  /** A connection cut `silenceMs` after its hello. */
  function cutAfter(start: number, silenceMs: number, heartbeatMs = 1000) {
    open(start, heartbeatMs)
    at(start + silenceMs)
    probe.dropped()
  }

  it('is reported once, after three cuts at the same silence, naming it and the heartbeat', () => {
    cutAfter(0, 150)
    cutAfter(1000, 162)
    expect(warnings).toEqual([])
    cutAfter(2000, 149)
    expect(warnings).toEqual([
      expect.stringMatching(
        /^connections were cut 3 times in a row after 149-162 ms without data, while a heartbeat of 1000 ms leaves a stream silent for up to 2000 ms: .*about 149 ms.*heartbeatMs below 74/,
      ),
    ])
    for (let cut = 3; cut < 10; cut++) cutAfter(cut * 1000, 150)
    expect(warnings).toHaveLength(1)
  })

  it('counts the silence since the last message, not since the connection opened', () => {
    for (let cut = 0; cut < 3; cut++) {
      open(cut * 10_000, 1000)
      events(cut * 10_000, cut * 10_000 + 3000, 50, (emitted) => emitted)
      at(cut * 10_000 + 2950 + 400)
      probe.dropped()
    }
    expect(warnings).toHaveLength(1)
    expect(warnings[0]).toMatch(/after 400-400 ms/)
  })

  it('is not reported for cuts after varying silences, or longer than the heartbeat leaves', () => {
    for (const [index, silence] of [60, 450, 900, 200, 1500].entries()) cutAfter(index * 5000, silence)
    for (let cut = 0; cut < 5; cut++) cutAfter(100_000 + cut * 5000, 2500)
    expect(warnings).toEqual([])
  })

  it('is not reported for cuts right after a message: no idle time is involved', () => {
    for (let cut = 0; cut < 5; cut++) cutAfter(cut * 1000, 5)
    expect(warnings).toEqual([])
  })

  it('starts over after a cut that does not fit', () => {
    cutAfter(0, 150)
    cutAfter(1000, 150)
    cutAfter(2000, 2500)
    cutAfter(6000, 150)
    expect(warnings).toEqual([])
  })

  it('ignores connections that never opened, and streams without a heartbeat', () => {
    for (let attempt = 0; attempt < 5; attempt++) {
      at(attempt * 1000 + 150)
      probe.dropped() // refused: no open before
    }
    for (let cut = 0; cut < 5; cut++) cutAfter(10_000 + cut * 1000, 150, 0)
    expect(warnings).toEqual([])
  })
})
