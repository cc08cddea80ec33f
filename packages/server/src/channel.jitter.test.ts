import { defineEvents } from '@herald/schema'
import { describe, expect, it } from 'vitest'
import * as z from 'zod'
import { createChannel } from './channel.ts'
import { jitter } from './format.ts'
import { openRawSocket } from './test-raw-socket.ts'
import { serveChannel, useCleanup } from './test-server.ts'

// Issue #8.5: after a crash every client came back within 125 ms of the others, because every
// stream was told the same `retry:`. Each stream now gets its own, spread over [retryMs, 2·retryMs).

const events = defineEvents({ n: z.number() })
const defer = useCleanup()

describe('jitter', () => {
  it('spreads a delay over [ms, 2·ms), from the random source it is given', () => {
    expect(jitter(1000, () => 0)).toBe(1000)
    expect(jitter(1000, () => 0.5)).toBe(1500)
    expect(jitter(1000, () => 1 - Number.EPSILON)).toBe(1999)
    expect(jitter(0, () => 0.7)).toBe(0)
  })
})

describe('the retry: of a new stream', () => {
  it('differs from stream to stream, within [retryMs, 2·retryMs), and the hello says the same', async () => {
    const RETRY_MS = 1000
    const channel = createChannel(events, { heartbeatMs: 0, retryMs: RETRY_MS })
    const server = await serveChannel(channel)
    defer(
      () => server.close(),
      () => channel.close(),
    )
    const port = Number(new URL(server.url).port)
    const streams = Array.from({ length: 40 }, () => openRawSocket(port))
    defer(() => {
      for (const stream of streams) stream.destroy()
    })
    const retries: number[] = []
    for (const stream of streams) {
      await stream.until(({ head }) => head.includes('herald:hello\ndata: {'), 2000)
      await stream.until(({ head }) => /"retryMs":\d+[,}]/.test(head), 2000)
      const retry = Number(/\nretry: (\d+)\n/.exec(stream.head)?.[1])
      const hello = JSON.parse(/event: herald:hello\ndata: (.*)\n/.exec(stream.head)?.[1] ?? '{}') as {
        retryMs?: number
      }
      // Herald's client allows the hello's retryMs for the wait after a drop: it must be this stream's.
      expect(hello.retryMs).toBe(retry)
      retries.push(retry)
    }
    for (const retry of retries) {
      expect(retry).toBeGreaterThanOrEqual(RETRY_MS)
      expect(retry).toBeLessThan(2 * RETRY_MS)
    }
    // 40 draws from 1,000 values: fewer than 20 distinct ones is all but impossible unless unjittered.
    expect(new Set(retries).size).toBeGreaterThanOrEqual(20)
    // And they spread over the window, not only its start.
    expect(Math.max(...retries) - Math.min(...retries)).toBeGreaterThan(RETRY_MS / 2)
  })
})
