import { afterEach, describe, expect, it } from 'vitest'
import { createChannel } from './channel.ts'
import { sse } from './fetch.ts'
import { fetchExchange } from './fetch-exchange.ts'
import { fetchEvents, readSse, settled } from './test-fetch.ts'
import type { Channel, StreamRequest, StreamResponse } from './types.ts'

// The response a channel writes under the Fetch adapter: a ReadableStream whose queue is the
// unsent bytes. Node's own Request, Response and ReadableStream; the body read by hand, slowly.

const KIB = 1024
const channels: Channel<typeof fetchEvents>[] = []
afterEach(async () => {
  for (const channel of channels.splice(0)) await channel.close()
})

describe('fetchExchange', () => {
  it('says write() false past 64 KiB queued, and drain once a read takes the queue below it', async () => {
    const { res, response } = fetchExchange(new Request('http://herald.test/events'), '/events', undefined)
    res.writeHead(200, { 'content-type': 'text/event-stream' })
    const reader = ((await response).body as ReadableStream<Uint8Array>).getReader()
    expect(res.write(new Uint8Array(32 * KIB))).toBe(true)
    expect(res.writableLength).toBe(32 * KIB)
    expect(res.write(new Uint8Array(32 * KIB))).toBe(false)
    expect(res.write('more')).toBe(false)
    expect(res.writableLength).toBe(64 * KIB + 4)
    let drained = 0
    res.once('drain', () => {
      drained += 1
    })
    await reader.read() // 32 KiB + 4 still queued: under the mark
    await settled()
    expect(drained).toBe(1)
    expect(res.writableLength).toBe(32 * KIB + 4)
    await reader.cancel()
  })

  it('cuts the body off on destroy (the queue dropped), and closes the exchange once', async () => {
    const { res, response } = fetchExchange(new Request('http://herald.test/events'), '/events', undefined)
    let closed = 0
    res.once('close', () => {
      closed += 1
    })
    res.writeHead(200)
    res.write('data: x\n\n')
    res.destroy()
    res.end()
    res.destroy()
    expect(res.destroyed).toBe(true)
    await expect((await response).text()).rejects.toThrow()
    await settled()
    expect(closed).toBe(1)
  })

  it('needs no ByteLengthQueuingStrategy, which edge runtimes (Next.js edge) lack', async () => {
    const global = globalThis as { ByteLengthQueuingStrategy?: unknown }
    const strategy = global.ByteLengthQueuingStrategy
    delete global.ByteLengthQueuingStrategy
    try {
      const { res, response } = fetchExchange(new Request('http://herald.test/events'), '/events', undefined)
      res.writeHead(200)
      expect(res.write(new Uint8Array(64 * KIB - 1))).toBe(true)
      expect(res.write('ab')).toBe(false) // counted in bytes, as before
      expect(res.writableLength).toBe(64 * KIB + 1)
      await (await response).body?.cancel()
    } finally {
      global.ByteLengthQueuingStrategy = strategy
    }
  })

  it('settles a bodiless 499 when the request was aborted already', async () => {
    const aborter = new AbortController()
    aborter.abort()
    const { res, response } = fetchExchange(
      new Request('http://herald.test/events', { signal: aborter.signal }),
      '/events',
      'x',
    )
    expect(res.destroyed).toBe(true)
    expect((await response).status).toBe(499)
  })
})

describe('a Fetch stream whose reader is slow', () => {
  it('is cut off once it is over maxBufferedBytes, and frees its slot', async () => {
    const channel = createChannel(fetchEvents, { heartbeatMs: 0, maxBufferedBytes: 256 * KIB })
    channels.push(channel)
    const response = await sse(channel)(new Request('http://herald.test/events'))
    const reader = (response.body as ReadableStream<Uint8Array>).getReader()
    await reader.read() // the prelude; then the reader stops
    const blob = 'x'.repeat(16 * KIB)
    for (let index = 0; index < 32; index++) channel.emit('blob', blob) // 512 KiB, never read
    expect(channel.size).toBe(1)
    await new Promise((resolve) => setImmediate(resolve)) // the buffer limit looks again a turn later
    await settled()
    expect(channel.size).toBe(0)
    await expect(reader.read()).rejects.toThrow(/cut the stream off/)
  })

  it('is not cut off for a burst it reads', async () => {
    const channel = createChannel(fetchEvents, { heartbeatMs: 0, maxBufferedBytes: 256 * KIB })
    channels.push(channel)
    const body = readSse(await sse(channel)(new Request('http://herald.test/events')))
    await body.until(1, 'herald:hello')
    const blob = 'x'.repeat(16 * KIB)
    for (let round = 0; round < 8; round++) {
      for (let index = 0; index < 8; index++) channel.emit('blob', blob) // 128 KiB a round
      await body.until((round + 1) * 8, 'blob')
    }
    expect(channel.size).toBe(1)
    await body.cancel()
  })

  it('catches up a replay of 5000 events in order, never queueing much more than half of maxBufferedBytes', async () => {
    const maxBufferedBytes = 256 * KIB
    const channel = createChannel(fetchEvents, { heartbeatMs: 0, historySize: 5000, maxBufferedBytes })
    channels.push(channel)
    const first = channel.emit('n', { seq: 0 })
    const pad = 'x'.repeat(400)
    for (let seq = 1; seq <= 5000; seq++) channel.emit('blob', `${seq} ${pad}`) // ~2 MiB to replay
    const { req, res, response } = fetchExchange(
      new Request('http://herald.test/events', { headers: { 'last-event-id': first } }),
      '/events',
      undefined,
    )
    channel.handle(req as unknown as StreamRequest, res as unknown as StreamResponse)
    const reader = ((await response).body as ReadableStream<Uint8Array>).getReader()
    const decoder = new TextDecoder()
    let text = ''
    let mostQueued = 0
    let reads = 0
    for (let last = ''; !last.includes('data: "5000 '); ) {
      mostQueued = Math.max(mostQueued, res.writableLength)
      const { done, value } = await reader.read()
      if (done) break
      last = decoder.decode(value, { stream: true })
      text += last
      // A slow reader: a macrotask between reads, so the catch-up runs ahead whenever it may.
      if (++reads % 50 === 0) await new Promise((resolve) => setTimeout(resolve, 1))
    }
    const seqs = [...text.matchAll(/^data: "(\d+) x/gm)].map((match) => Number(match[1]))
    expect(seqs).toEqual(Array.from({ length: 5000 }, (_, index) => index + 1))
    expect(mostQueued).toBeGreaterThan(64 * KIB) // it did run ahead of the reader,
    expect(mostQueued).toBeLessThan(maxBufferedBytes / 2 + 2 * KIB) // but only to half the bound
    expect(res.destroyed).toBe(false)
    channel.emit('n', { seq: 1 }) // and it is live now
    const { value } = await reader.read()
    expect(decoder.decode(value)).toContain('data: {"seq":1}')
    await reader.cancel()
    await settled()
    expect(channel.size).toBe(0)
  })
})
