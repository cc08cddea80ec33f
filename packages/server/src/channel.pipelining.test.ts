import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import { type AddressInfo, connect, type Socket } from 'node:net'
import { defineEvents } from '@herald/schema'
import Router from '@koa/router'
import Koa from 'koa'
import { describe, it } from 'vitest'
import * as z from 'zod'
import { createChannel } from './channel.ts'
import { sse } from './koa.ts'
import { startChannelProcess } from './test-channel-child.ts'
import { openRawSocket } from './test-raw-socket.ts'
import { cleanupFor } from './test-server.ts'
import type { Channel } from './types.ts'

// Issue #8.1: HTTP/1.1 pipelining. A client may send many requests on one socket before reading
// any answer; Node answers them in order, so each answer behind a stream is queued for good, and
// a queued response never emits 'close'. A socket must never hold more than one stream, and a
// stream must be released however its socket ends.

const events = defineEvents({ n: z.number() })
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** A response that starts and never ends: the request after it on the socket waits in Node's queue. */
function hang(res: ServerResponse) {
  res.writeHead(200, { 'content-type': 'text/plain' })
  res.write('hanging\n')
}

/** Cleans up when its test finishes: the tests run at the same time (see `cleanupFor`). */
type Defer = ReturnType<typeof cleanupFor>

type Serve = (channel: Channel<typeof events>, defer: Defer) => Promise<number>

/** `channel.handle` behind plain node:http, with `/hang` next to it. */
const serveNodeHttp: Serve = async (channel, defer) => {
  const server = createServer((req: IncomingMessage, res: ServerResponse) =>
    req.url === '/hang' ? hang(res) : channel.handle(req, res),
  )
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  defer(async () => {
    await channel.close()
    server.closeAllConnections()
    await new Promise((resolve) => server.close(resolve))
  })
  return (server.address() as AddressInfo).port
}

/** `sse(channel)` behind Koa and @koa/router, with `/hang` next to it. */
const serveKoa: Serve = async (channel, defer) => {
  const app = new Koa()
  const router = new Router()
  router.get('/events', sse(channel))
  router.get('/hang', (ctx) => {
    ctx.respond = false
    hang(ctx.res)
  })
  app.use(router.routes())
  const server = app.listen(0, '127.0.0.1')
  await new Promise((resolve) => server.once('listening', resolve))
  defer(async () => {
    await channel.close()
    server.closeAllConnections()
    await new Promise((resolve) => server.close(resolve))
  })
  return (server.address() as AddressInfo).port
}

interface Pipelined {
  readonly socket: Socket
  /** Resolves when the socket has closed, whoever closed it. */
  readonly closed: Promise<void>
  /** Whether the server closed it (before the test did). */
  closedByServer(): boolean
  destroy(): void
}

/** Sends `paths` as pipelined GETs in one write, and reads (and drops) whatever comes back. */
function pipeline(port: number, paths: string[], defer: Defer): Pipelined {
  const socket = connect({ port, host: '127.0.0.1' })
  socket.on('error', () => {})
  socket.resume()
  socket.write(paths.map((path) => `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`).join(''))
  let byServer = false
  let destroyedHere = false
  const closed = new Promise<void>((resolve) =>
    socket.once('close', () => {
      byServer = !destroyedHere
      resolve()
    }),
  )
  const destroy = () => {
    destroyedHere = true
    socket.destroy()
  }
  defer(destroy)
  return { socket, closed, closedByServer: () => byServer, destroy }
}

const SOCKETS = 5
const PER_SOCKET = 200

// First, as the longest: its child process takes a second or more to start (tsx) while the
// tests below run beside it (a file runs at most five tests at once).
describe.concurrent('pipelined requests: the server process', () => {
  it('keeps no phantom stream and no memory once every socket is gone (Koa, in a process of its own)', async (context) => {
    const { expect } = context
    const defer = cleanupFor(context)
    const child = await startChannelProcess({ channel: { heartbeatMs: 0 } })
    defer(() => child.kill())
    const before = await child.send({ op: 'stats', gc: true })
    const sockets = Array.from({ length: 10 }, () => pipeline(child.port, Array(500).fill('/events'), defer))
    // Long enough for the server to parse and answer all 5,000 requests (or close the sockets).
    await Promise.race([Promise.all(sockets.map(({ closed }) => closed)), sleep(2000)])
    for (const { destroy } of sockets) destroy()
    await sleep(200)
    const after = await child.send({ op: 'stats', gc: true })
    expect(after.size).toBe(0)
    // Unfixed, the 5,000 phantom streams held about 15 MB.
    expect(after.memory.heapUsed - before.memory.heapUsed).toBeLessThan(4 << 20)
    await child.send({ op: 'close', settleMs: 0 })
  }, 20_000)
})

describe.concurrent.each([
  ['node:http', serveNodeHttp],
  ['Koa', serveKoa],
])('pipelined requests (%s)', (_name, serve) => {
  it('a GET pipelined behind a stream closes the socket: never more than one stream a socket', async (context) => {
    const { expect } = context
    const defer = cleanupFor(context)
    const channel = createChannel(events, { heartbeatMs: 0, maxConnections: SOCKETS })
    const port = await serve(channel, defer)
    let most = 0
    const watch = setInterval(() => {
      most = Math.max(most, channel.size)
    }, 1)
    defer(() => clearInterval(watch))
    const sockets = Array.from({ length: SOCKETS }, () => pipeline(port, Array(PER_SOCKET).fill('/events'), defer))
    // The server closes each socket itself, on the second request; nothing is queued forever.
    await Promise.race([Promise.all(sockets.map(({ closed }) => closed)), sleep(3000)])
    expect(sockets.map(({ closedByServer }) => closedByServer())).toEqual(Array(SOCKETS).fill(true))
    most = Math.max(most, channel.size)
    expect(most).toBeLessThanOrEqual(SOCKETS)
    await expect.poll(() => channel.size).toBe(0)

    // Every slot of maxConnections is free again: as many new clients as it allows are admitted.
    const clients = Array.from({ length: SOCKETS }, () => openRawSocket(port))
    defer(() => {
      for (const client of clients) client.destroy()
    })
    for (const client of clients) await client.until(({ head }) => head.includes('herald:hello'), 2000)
    expect(clients.map(({ head }) => head.includes('herald-refused'))).toEqual(Array(SOCKETS).fill(false))
    expect(channel.size).toBe(SOCKETS)
  })

  it('a stream queued behind another response is released when its socket closes', async (context) => {
    const { expect } = context
    const defer = cleanupFor(context)
    const channel = createChannel(events, { heartbeatMs: 0, maxConnections: SOCKETS })
    const port = await serve(channel, defer)
    // Each stream's response waits behind /hang's, which never ends: Node never emits its 'close'.
    const sockets = Array.from({ length: SOCKETS }, () => pipeline(port, ['/hang', '/events'], defer))
    await expect.poll(() => channel.size).toBe(SOCKETS)
    for (const { destroy } of sockets) destroy()
    await Promise.all(sockets.map(({ closed }) => closed))
    await expect.poll(() => channel.size).toBe(0)

    const late = openRawSocket(port)
    defer(() => late.destroy())
    await late.until(({ head }) => head.includes('herald:hello'), 2000)
    expect(late.head).not.toContain('herald-refused')
  })
})

describe.concurrent('a socket whose stream ended', () => {
  it('may carry a new stream (keep-alive reuse, not pipelining)', async (context) => {
    const { expect } = context
    const defer = cleanupFor(context)
    // Two channels on one server: the first one's stream ends and leaves the socket open.
    const first = createChannel(events, { heartbeatMs: 0, retryMs: 1 })
    const second = createChannel(events, { heartbeatMs: 0 })
    const server = createServer((req, res) => (req.url === '/first' ? first : second).handle(req, res))
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    defer(async () => {
      await second.close()
      server.closeAllConnections()
      await new Promise((resolve) => server.close(resolve))
    })
    const socket = connect({ port: (server.address() as AddressInfo).port, host: '127.0.0.1' })
    defer(() => socket.destroy())
    let received = ''
    socket.on('data', (chunk: Buffer) => {
      received += chunk.toString('latin1')
    })
    socket.write('GET /first HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n')
    await expect.poll(() => received).toContain('herald:hello')
    await first.close() // ends the stream; the socket stays open for the next request
    await expect.poll(() => received).toContain('\r\n0\r\n\r\n')
    socket.write('GET /second HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n')
    await expect.poll(() => received.split('herald:hello').length).toBe(3)
    expect(second.size).toBe(1)
    expect(socket.destroyed).toBe(false)
  })
})
