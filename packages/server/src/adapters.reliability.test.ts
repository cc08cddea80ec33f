import http from 'node:http'
import { createClient, HeraldEventSource } from '@herald/client'
import { defineEvents, REFUSED_HEADER } from '@herald/schema'
import { describe, expect, it } from 'vitest'
import * as z from 'zod'
import { createChannel } from './channel.ts'
import { type Adapter, type AdapterOptions, adapters } from './test-adapters.ts'
import { openRawSocket } from './test-raw-socket.ts'
import { idsIn, useCleanup } from './test-server.ts'
import type { Channel, ChannelOptions } from './types.ts'

// The guarantees that depend on how a channel is mounted, checked on every server Herald is
// documented with (docs/servers.md): plain node:http, Koa, Express, Fastify (reply.hijack) and Hono
// on Node through the Fetch adapter. Each case runs against a real server on a real port, with that
// framework's response compression registered in front of the stream, and a real client.

const events = defineEvents({ seq: z.number().int(), blob: z.string() }, { topics: { room: z.string() } })
type Events = typeof events
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
const KiB = 1024

const defer = useCleanup()

/** A channel served by `adapter`, both closed after the test. */
async function serve(adapter: Adapter, channelOptions: ChannelOptions = {}, options: AdapterOptions = {}) {
  const channel = createChannel(events, { heartbeatMs: 0, retryMs: 50, ...channelOptions })
  const server = await adapter.start(channel as unknown as Channel<Events>, options)
  defer(
    () => server.close(),
    () => channel.close(),
  )
  return { channel, server }
}

/** One HTTP/1.1 exchange on a socket of its own, its body read as it arrives. */
interface Exchange {
  readonly status: number
  readonly headers: http.IncomingHttpHeaders
  readonly request: http.ClientRequest
  text(): string
  /** Resolves once the body received so far matches; rejects after `ms`. */
  waitFor(needle: string | RegExp, ms?: number): Promise<string>
  /** Resolves when the response ended or its socket closed. */
  readonly ended: Promise<void>
}

interface SendOptions {
  method?: string
  headers?: Record<string, string>
  /** The client's own address (any of 127.0.0.0/8), as another client would have. */
  localAddress?: string
}

function send(url: string, options: SendOptions = {}): Promise<Exchange> {
  const request = http.request(url, {
    method: options.method ?? 'GET',
    headers: options.headers ?? {},
    agent: false,
    ...(options.localAddress === undefined ? {} : { localAddress: options.localAddress }),
  })
  request.on('error', () => {}) // a cut is an ending like any other here
  defer(() => request.destroy())
  request.end()
  return new Promise((resolve, reject) => {
    request.once('error', reject)
    request.once('response', (response) => {
      let body = ''
      const waiters = new Set<() => void>()
      response.setEncoding('utf8')
      response.on('data', (chunk: string) => {
        body += chunk
        for (const wake of waiters) wake()
      })
      response.on('error', () => {})
      const ended = new Promise<void>((done) => {
        response.once('end', done)
        response.once('close', done)
      })
      resolve({
        status: response.statusCode ?? 0,
        headers: response.headers,
        request,
        ended,
        text: () => body,
        waitFor(needle, ms = 3000) {
          const found = () => (typeof needle === 'string' ? body.includes(needle) : needle.test(body))
          if (found()) return Promise.resolve(body)
          return new Promise((done, fail) => {
            const timer = setTimeout(() => {
              waiters.delete(check)
              fail(new Error(`timed out waiting for ${String(needle)}; received ${JSON.stringify(body)}`))
            }, ms)
            const check = () => {
              if (!found()) return
              clearTimeout(timer)
              waiters.delete(check)
              done(body)
            }
            waiters.add(check)
          })
        },
      })
    })
  })
}

const HELLO = 'event: herald:hello'
const BUSY = 'event: herald:busy'

describe.each(adapters)('$name', (adapter) => {
  it('delivers every event exactly once, in order, while the server cuts random sockets', async () => {
    const TOTAL = 1500
    const { channel, server } = await serve(adapter, { retryMs: 10, historySize: TOTAL, replayBudget: 0 })
    // Two clients resume with the Last-Event-ID header (Node's default), two with ?lastEventId=
    // (an EventSource passed in, as a browser's would be).
    const clients = Array.from({ length: 4 }, (_, index) => {
      const client = createClient(events, server.url, index % 2 === 0 ? {} : { EventSource: HeraldEventSource })
      defer(() => client.close())
      const record = { seqs: [] as number[], opens: 0 }
      client.on('seq', (seq) => record.seqs.push(seq))
      client.onOpen(() => record.opens++)
      client.onError(() => {}) // the cuts
      return record
    })
    await expect.poll(() => clients.every(({ opens }) => opens > 0), { timeout: 5000 }).toBe(true)

    // Every 40 ms, one socket that has been open 300 ms (the client backs off on connections that
    // end sooner than it waited for them: this test is about delivery, not backoff).
    const firstSeen = new WeakMap<object, number>()
    let cuts = 0
    const cutter = setInterval(() => {
      const now = performance.now()
      const old = server.sockets().filter((socket) => {
        const at = firstSeen.get(socket)
        if (at === undefined) firstSeen.set(socket, now)
        return at !== undefined && now - at >= 300
      })
      const socket = old[Math.floor(Math.random() * old.length)]
      if (socket === undefined) return
      socket.destroy()
      cuts++
    }, 40)
    defer(() => clearInterval(cutter))
    for (let seq = 0; seq < TOTAL; ) {
      for (const end = seq + 10; seq < end; ) channel.emit('seq', seq++)
      await sleep(10)
    }
    clearInterval(cutter)
    await expect
      .poll(() => clients.map(({ seqs }) => seqs.length), { timeout: 10_000 })
      .toEqual(clients.map(() => TOTAL))
    await sleep(50) // for a late duplicate to show up
    const all = Array.from({ length: TOTAL }, (_, seq) => seq)
    for (const { seqs } of clients) expect(seqs).toEqual(all)
    expect(cuts).toBeGreaterThanOrEqual(4)
    expect(clients.reduce((total, { opens }) => total + opens - 1, 0)).toBeGreaterThanOrEqual(4)
  }, 30_000)

  it('resumes from the Last-Event-ID header and from ?lastEventId=; an unknown id gets herald:gap, then what is kept', async () => {
    const { channel, server } = await serve(adapter)
    const ids = [0, 1, 2].map((seq) => channel.emit('seq', seq))
    const byHeader = await send(server.url, { headers: { 'last-event-id': ids[0] as string } })
    await byHeader.waitFor(`id: ${ids[2]}\n`)
    expect(idsIn(byHeader.text())).toEqual([ids[1], ids[2]])

    const byQuery = await send(`${server.url}?lastEventId=${ids[1]}`)
    await byQuery.waitFor(`id: ${ids[2]}\n`)
    expect(idsIn(byQuery.text())).toEqual([ids[2]])

    // An id of another log (another epoch): a gap, then every event the history still holds.
    const unknown = await send(server.url, { headers: { 'last-event-id': 'elsewhere-1-1' } })
    await unknown.waitFor('event: herald:gap\ndata: {"lastEventId":"elsewhere-1-1"}')
    const next = channel.emit('seq', 3)
    await unknown.waitFor(`id: ${next}\n`)
    expect(unknown.text().indexOf('herald:gap')).toBeLessThan(unknown.text().indexOf(`id: ${ids[0]}\n`))
    expect(idsIn(unknown.text())).toEqual([...ids, next])
  })

  it('sends heartbeats on an idle stream', async () => {
    const { server } = await serve(adapter, { heartbeatMs: 30 })
    const stream = await send(server.url)
    await stream.waitFor(/event: herald:ping[\s\S]*event: herald:ping/, 2000)
  })

  it('answers HEAD with the stream headers and no body, and POST with 405', async () => {
    const { channel, server } = await serve(adapter)
    const head = await send(server.url, { method: 'HEAD' })
    expect(head.status).toBe(200)
    expect(head.headers['content-type']).toBe('text/event-stream; charset=utf-8')
    await head.ended
    expect(head.text()).toBe('')
    expect(channel.size).toBe(0)

    const post = await send(server.url, { method: 'POST' })
    expect({ status: post.status, allow: post.headers.allow }).toEqual({ status: 405, allow: 'GET, HEAD' })
    await post.ended
    expect(channel.size).toBe(0)
  })

  it('turns clients away over maxConnections (herald:busy, Retry-After) and takes one again once a slot frees', async () => {
    const { channel, server } = await serve(adapter, { maxConnections: 2, busyRetryMs: 3000 })
    const first = await send(server.url)
    const second = await send(server.url)
    await Promise.all([first.waitFor(HELLO), second.waitFor(HELLO)])
    const third = await send(server.url)
    await third.waitFor(BUSY)
    await third.ended
    expect(third.headers[REFUSED_HEADER]).toBe('busy')
    expect(Number(third.headers['retry-after'])).toBeGreaterThanOrEqual(3)
    expect(channel.size).toBe(2)

    first.request.destroy()
    await expect.poll(() => channel.size).toBe(1)
    const fourth = await send(server.url)
    await fourth.waitFor(HELLO)
    expect(fourth.text()).not.toContain(BUSY)
  })

  it('counts maxConnectionsPerClient by the client address', async () => {
    const { channel, server } = await serve(adapter, { maxConnectionsPerClient: 1 })
    const first = await send(server.url, { localAddress: '127.0.0.1' })
    await first.waitFor(HELLO)
    const again = await send(server.url, { localAddress: '127.0.0.1' })
    await again.waitFor(BUSY)
    expect(again.headers[REFUSED_HEADER]).toBe('busy')
    const other = await send(server.url, { localAddress: '127.0.0.2' })
    await other.waitFor(HELLO)
    expect(other.text()).not.toContain(BUSY)
    expect(channel.size).toBe(2)
  })

  it('cuts a client that stops reading once over maxBufferedBytes; it got a prefix, and the count is 0 again', async () => {
    const { channel, server } = await serve(adapter, { maxBufferedBytes: 256 * KiB })
    const slow = openRawSocket(server.port, { paused: true })
    defer(() => slow.destroy())
    await expect.poll(() => channel.size).toBe(1)
    const blob = 'x'.repeat(16 * KiB)
    const ids: string[] = []
    // Loopback socket buffers hold a few MiB before the server's queue grows at all.
    while (channel.size > 0 && ids.length < 3000) {
      for (let i = 0; i < 8; i++) ids.push(channel.emit('blob', blob))
      await new Promise((resolve) => setImmediate(resolve))
    }
    expect(channel.size).toBe(0)
    slow.resume()
    await slow.ended
    expect(slow.finished).toBe(false) // cut, not ended
    expect(slow.events).toBeGreaterThan(0)
    expect(slow.events).toBeLessThan(ids.length)
    expect(slow.lastId).toBe(ids[slow.events - 1])
  }, 30_000)

  it('forgets clients that leave abruptly mid-stream: the count and every slot come back', async () => {
    const N = 8
    const { channel, server } = await serve(adapter, { maxConnections: N })
    const streams = await Promise.all(Array.from({ length: N }, () => send(server.url)))
    await Promise.all(streams.map((stream) => stream.waitFor(HELLO)))
    expect(channel.size).toBe(N)
    const first = channel.emit('seq', 1)
    await Promise.all(streams.map((stream) => stream.waitFor(`id: ${first}\n`)))
    // Half leave with a reset, half by closing their socket; events keep going out meanwhile.
    streams.forEach((stream, index) => {
      const socket = stream.request.socket
      if (index % 2 === 0) socket?.resetAndDestroy()
      else socket?.destroy()
      channel.emit('seq', 2 + index)
    })
    await expect.poll(() => channel.size).toBe(0)
    channel.emit('seq', 100)
    const again = await Promise.all(Array.from({ length: N }, () => send(server.url)))
    await Promise.all(again.map((stream) => stream.waitFor(HELLO)))
    expect(again.filter((stream) => stream.text().includes(BUSY))).toEqual([])
    expect(channel.size).toBe(N)
    expect(server.errors).toEqual([])
  })

  it.runIf(adapter.authorizes)('leaks nothing when a client leaves while authorize is pending', async () => {
    const pending: ((allowed: boolean) => void)[] = []
    const authorize = () => new Promise<boolean>((resolve) => pending.push(resolve))
    const { channel, server } = await serve(adapter, { maxConnections: 1 }, { authorize })
    const request = http.request(`${server.url}?topic=room:a`, { agent: false })
    request.on('error', () => {})
    request.end()
    await expect.poll(() => pending.length).toBe(1)
    request.destroy()
    await expect.poll(() => server.sockets().length).toBe(0)
    pending[0]?.(true)
    await sleep(50)
    expect(channel.size).toBe(0)
    // With maxConnections 1, a slot still held by the leaver would turn this client away.
    const answered = send(`${server.url}?topic=room:a`)
    await expect.poll(() => pending.length).toBe(2)
    pending[1]?.(true)
    const next = await answered
    await next.waitFor(HELLO)
    expect(next.text()).toContain('"topics":["room:a"]')
    expect(next.text()).not.toContain(BUSY)
    expect(channel.size).toBe(1)
    expect(server.errors).toEqual([])
  })

  it('sends the stream headers, uncompressed and unbuffered, to a client that accepts gzip', async () => {
    const { channel, server } = await serve(adapter)
    const stream = await send(server.url, { headers: { 'accept-encoding': 'gzip, deflate, br' } })
    expect(stream.status).toBe(200)
    expect(stream.headers['content-type']).toBe('text/event-stream; charset=utf-8')
    expect(stream.headers['cache-control']).toBe('no-cache, no-transform')
    expect(stream.headers['content-encoding']).toBeUndefined()
    // Plain text, each event as it is emitted: nothing holds bytes back to compress them.
    await stream.waitFor(HELLO, 1000)
    const id = channel.emit('seq', 1)
    await stream.waitFor(`id: ${id}\nevent: seq\ndata: 1\n\n`, 1000)
  })

  it.runIf(adapter.compression !== undefined)(
    `compresses other responses (${adapter.compression} is registered: the control)`,
    async () => {
      const { server } = await serve(adapter)
      const json = await send(server.url.replace('/events', '/json'), { headers: { 'accept-encoding': 'gzip' } })
      expect(json.headers['content-encoding']).toBe('gzip')
    },
  )
})
