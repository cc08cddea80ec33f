import { connect } from 'node:net'
import { defineEvents } from '@herald/schema'
import { afterEach, describe, expect, it } from 'vitest'
import * as z from 'zod'
import { createChannel } from './channel.ts'
import { type AdapterServer, adapters } from './test-adapters.ts'
import type { Channel } from './types.ts'

// HTTP/1.1 pipelining through each adapter: a hostile client sends three stream requests on one
// socket before reading. Where Herald sees Node's request it refuses a second stream on a socket
// (channel.pipelining.test.ts). The Fetch adapter never sees the socket: the responses Node queues
// behind the first stream each hold a slot, but never more than maxBufferedBytes of memory, and
// every slot is freed when the socket closes.

const events = defineEvents({ n: z.string() })
const MAX_BUFFERED = 64 * 1024
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
let running: { channel: Channel<typeof events>; server: AdapterServer } | undefined
afterEach(async () => {
  await running?.server.close()
  await running?.channel.close()
  running = undefined
})

describe.each(adapters)('$name: three stream requests pipelined on one socket', (adapter) => {
  it('hold at most one stream per socket, or stay bounded, and leave nothing once it closes', async () => {
    const channel = createChannel(events, { heartbeatMs: 0, maxBufferedBytes: MAX_BUFFERED })
    const server = await adapter.start(channel as never)
    running = { channel, server }
    const socket = connect(server.port, '127.0.0.1')
    let received = 0
    socket.on('data', (chunk: Buffer) => {
      received += chunk.length
    })
    socket.on('error', () => {})
    const request = `GET /events HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()))
    socket.write(request.repeat(3))
    if (!adapter.name.includes('Fetch')) {
      // Node's request: the pipelined requests cannot be answered in order, so the socket is
      // closed, its stream with it.
      await closed
      await expect.poll(() => channel.size).toBe(0)
      return
    }
    // The Fetch adapter: one stream per request, the queued ones bounded by maxBufferedBytes.
    await expect.poll(() => channel.size).toBe(3)
    const payload = 'x'.repeat(4000)
    for (let n = 0; n < 100; n++) {
      channel.emit('n', payload)
      await sleep(1)
    }
    // 400 KB sent: the two streams whose responses Node queued (nobody reads them) are cut off.
    await expect.poll(() => channel.size, { timeout: 5000 }).toBe(1)
    expect(received).toBeGreaterThan(400_000) // the first stream, read, got every event
    socket.destroy()
    await expect.poll(() => channel.size, { timeout: 5000 }).toBe(0)
  })
})
