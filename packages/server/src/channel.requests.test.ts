import http from 'node:http'
import http2 from 'node:http2'
import { type AddressInfo, connect } from 'node:net'
import { defineEvents } from '@herald/schema'
import { describe, expect, it } from 'vitest'
import * as z from 'zod'
import { createChannel } from './channel.ts'
import { openRawSocket } from './test-raw-socket.ts'
import { useCleanup } from './test-server.ts'
import type { Channel, ChannelOptions } from './types.ts'

// Requests that are not a plain HTTP/1.1 GET: other methods, odd request targets, HTTP/1.0 and
// HTTP/2. Each gets a proper answer, none leaves an admission slot behind or throws.

const events = defineEvents({ n: z.number() })
const defer = useCleanup()
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** The channel on a plain node:http server, as `channel.handle` users run it. */
async function serve(options: ChannelOptions = {}) {
  const channel = createChannel(events, { heartbeatMs: 0, ...options })
  const server = http.createServer((req, res) => channel.handle(req, res))
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  defer(async () => {
    await channel.close()
    server.closeAllConnections()
    await new Promise((resolve) => server.close(resolve))
  })
  return { channel, port: (server.address() as AddressInfo).port }
}

/**
 * Sends `head` as the raw request and returns everything received until the server closes, `ms`
 * pass, or `complete` says the answer is whole.
 */
function exchange(port: number, head: string, ms = 300, complete = (_text: string) => false): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: '127.0.0.1' })
    let received = ''
    const done = () => {
      clearTimeout(timer)
      socket.destroy()
      resolve(received)
    }
    const timer = setTimeout(done, ms)
    socket.setEncoding('latin1')
    socket.on('data', (chunk: string) => {
      received += chunk
      if (complete(received)) done()
    })
    socket.on('close', done)
    socket.on('error', () => {})
    socket.write(head)
  })
}

/** Asserts a GET is still admitted and served (a leaked slot would turn it away at maxConnections 1). */
async function expectAdmitted(channel: Channel<typeof events>, port: number) {
  const stream = openRawSocket(port)
  defer(() => stream.destroy())
  await stream.until(({ head }) => head.includes('herald:hello'))
  expect(stream.head).not.toContain('herald:busy')
  channel.emit('n', 1)
  await stream.until(({ events }) => events === 1)
}

// A HEAD answer and an empty 405 are whole once their head is: no need to wait out the timeout.
const headEnded = (text: string) => text.includes('\r\n\r\n')

describe('methods', () => {
  it('HEAD gets the headers of a stream and ends: no stream, no slot held', async () => {
    const { channel, port } = await serve({ maxConnections: 1 })
    const answer = await exchange(port, 'HEAD /events HTTP/1.1\r\nHost: x\r\n\r\n', 300, headEnded)
    expect(answer).toMatch(/^HTTP\/1\.1 200 OK\r\n/)
    expect(answer.toLowerCase()).toContain('content-type: text/event-stream; charset=utf-8\r\n')
    expect(answer).not.toContain('herald:')
    expect(channel.size).toBe(0)
    await expectAdmitted(channel, port)
  })

  it.each(['POST', 'PUT', 'DELETE', 'OPTIONS'])('%s gets 405 with Allow: GET, HEAD', async (method) => {
    const { channel, port } = await serve({ maxConnections: 1 })
    const request = `${method} /events HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}`
    const answer = await exchange(port, request, 300, headEnded)
    expect(answer).toMatch(/^HTTP\/1\.1 405 Method Not Allowed\r\n/)
    expect(answer.toLowerCase()).toContain('allow: get, head\r\n')
    expect(channel.size).toBe(0)
    await expectAdmitted(channel, port)
  })
})

describe('request targets', () => {
  it.each(['http://a:b:c/?lastEventId=1', '/events?lastEventId=%E0%A4%A', '/events?lastEventId=1&lastEventId=2', '*'])(
    '%s: an answer, no uncaught error, and the slot is free again',
    async (target) => {
      const { channel, port } = await serve({ maxConnections: 1 })
      const answer = await exchange(port, `GET ${target} HTTP/1.1\r\nHost: x\r\n\r\n`, 200)
      expect(answer).toMatch(/^HTTP\/1\.1 (200|400) /)
      await sleep(20)
      expect(channel.size).toBe(0)
      await expectAdmitted(channel, port)
    },
  )
})

describe('protocol versions', () => {
  it('HTTP/1.0: no keep-alive promised, events arrive unchunked, the close ends the stream', async () => {
    const { channel, port } = await serve()
    const answer = exchange(port, 'GET /events HTTP/1.0\r\n\r\n', 500)
    await sleep(100)
    channel.emit('n', 7)
    await sleep(50)
    await channel.close()
    const text = await answer
    expect(text).toMatch(/^HTTP\/1\.1 200 OK\r\n/)
    expect(text.toLowerCase()).not.toContain('connection: keep-alive')
    expect(text.toLowerCase()).not.toContain('transfer-encoding')
    expect(text).toMatch(/\r\n\r\n: herald\nretry: [23]\d\d\d\n/) // 2000, jittered up to 2×
    expect(text).toMatch(/\nevent: n\ndata: 7\n\n/)
  })

  it('HTTP/2: a stream gets its events; one reset before handle() holds no slot', async () => {
    const channel = createChannel(events, { heartbeatMs: 0, maxConnections: 1 })
    // As behind middleware that takes a while (authentication, say) before the stream opens.
    const server = http2.createServer((req, res) => {
      setTimeout(() => channel.handle(req, res), 50)
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const session = http2.connect(`http://127.0.0.1:${(server.address() as AddressInfo).port}`)
    defer(async () => {
      session.destroy()
      await channel.close()
      await new Promise((resolve) => server.close(resolve))
    })

    const cancelled = session.request({ ':path': '/events' })
    cancelled.on('error', () => {})
    cancelled.close(http2.constants.NGHTTP2_CANCEL)
    await sleep(100)
    expect(channel.size).toBe(0)

    const stream = session.request({ ':path': '/events' })
    stream.setEncoding('utf8')
    let text = ''
    stream.on('data', (chunk: string) => {
      text += chunk
    })
    const [headers] = await Promise.all([
      new Promise<http2.IncomingHttpHeaders>((resolve) => stream.once('response', resolve)),
      expect.poll(() => text).toContain('herald:hello'),
    ])
    expect(headers[':status']).toBe(200)
    expect(headers['content-type']).toBe('text/event-stream; charset=utf-8')
    expect(headers).not.toHaveProperty('connection')
    channel.emit('n', 3)
    await expect.poll(() => text).toMatch(/\nevent: n\ndata: 3\n\n$/)
    expect(channel.size).toBe(1)
    stream.close()
    await expect.poll(() => channel.size).toBe(0)
  })
})
