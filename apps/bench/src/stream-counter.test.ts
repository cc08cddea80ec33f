import { describe, expect, it } from 'vitest'
import { createHistogram } from './histogram.ts'
import { createStreamCounter, type Tally } from './stream-counter.ts'

const tally = (expected: number): Tally => ({
  expected,
  warmup: 0,
  latency: createHistogram(),
  complete: 0,
  lastMicros: 0,
  onComplete() {},
})

const event = (seq: number) => `id: ${seq}\nevent: tick\ndata: {"seq":${seq},"t":${1000 + seq},"pad":"xx"}\n\n`
const chunk = (text: string) => `${Buffer.byteLength(text).toString(16)}\r\n${text}\r\n`
const HEAD = 'HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n'

describe('createStreamCounter', () => {
  it('counts events however the bytes are split across reads', () => {
    const wire = Buffer.from(HEAD + chunk(': ok\n\n') + chunk(event(1) + event(2)) + chunk(event(3)) + chunk(':\n\n'))
    for (let split = 1; split < wire.length; split++) {
      const counts = tally(3)
      const counter = createStreamCounter(counts)
      counter.push(wire.subarray(0, split), 2000)
      counter.push(wire.subarray(split), 2000)
      expect([counter.status, counter.distinct, counter.duplicated, counter.reordered], `split at ${split}`).toEqual([
        200, 3, 0, 0,
      ])
      expect(counts.complete).toBe(1)
    }
  })

  it('finds seq in tRPC-style and compact data lines, and reports duplicates and reordering', () => {
    const counts = tally(4)
    const counter = createStreamCounter(counts)
    counter.push(Buffer.from('HTTP/1.1 200 OK\r\n\r\n'), 0) // not chunked
    counter.push(Buffer.from('data: {"seq":2,"t":5,"pad":"x"}\nid: 2\n\n\n'), 10)
    counter.push(Buffer.from('event:tick\nid:1\ndata:{"pad":"x","seq":1,"t":6}\n\n'), 10)
    counter.push(Buffer.from('data: {"seq":2,"t":5}\n\ndata: {"seq":9,"t":5}\n\n'), 10)
    expect([counter.distinct, counter.duplicated, counter.reordered, counter.unexpected]).toEqual([2, 1, 1, 1])
    expect(counts.latency.percentile(50)).toBeCloseTo(4.5, 0)
  })
})
