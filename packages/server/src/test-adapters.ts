// Test fixtures: one channel served by each server Herald is documented with, every one on a real
// port on 127.0.0.1, each with that framework's response compression registered in front of the
// stream (so a test can show the stream is never compressed or buffered). The routes are the
// one-liners of docs/servers.md; `/json` is a compressible response beside them, the control.
import { once } from 'node:events'
import http, { type Server } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import compressFastify from '@fastify/compress'
import type { AnyEvents } from '@herald/schema'
import { serve } from '@hono/node-server'
import { getConnInfo } from '@hono/node-server/conninfo'
import Router from '@koa/router'
import compression from 'compression'
import express from 'express'
import Fastify from 'fastify'
import { Hono } from 'hono'
import { compress as compressHono } from 'hono/compress'
import Koa from 'koa'
import koaCompress from 'koa-compress'
import { sse as fetchSse } from './fetch.ts'
import { sse as koaSse } from './koa.ts'
import type { Channel } from './types.ts'

/** What a test asks of the server beyond the channel. */
export interface AdapterOptions {
  /**
   * Whether a stream may join a topic its client asks for (`?topic=`); passed as `authorize` to
   * the adapters that take it (`authorizes`). Every topic is refused without it.
   */
  authorize?: ((topic: string) => boolean | Promise<boolean>) | undefined
}

/** A running server. */
export interface AdapterServer {
  /** The stream's URL: `http://127.0.0.1:<port>/events`. */
  readonly url: string
  readonly port: number
  /** The server's side of every open connection, to cut from there. */
  sockets(): Socket[]
  /** What the framework or the adapter reported as an error (Koa's `'error'`, `onError`…). */
  readonly errors: readonly unknown[]
  /** Closes every connection and the server. */
  close(): Promise<void>
}

/** A server framework and how Herald is mounted on it. */
export interface Adapter {
  readonly name: string
  /** Takes `authorize` (Koa's `sse` and the Fetch adapter's); the others call `channel.handle`. */
  readonly authorizes: boolean
  /** The response compression registered in front of every route, if any. */
  readonly compression: string | undefined
  start(channel: Channel<AnyEvents>, options?: AdapterOptions): Promise<AdapterServer>
}

/** A compressible body well over every threshold, served at `/json`. */
export const JSON_BODY = { filler: 'x'.repeat(5000) }

/** Tracks `server`'s connections, and builds the handle the tests get once it listens. */
async function listening(server: Server, errors: unknown[], stop?: () => Promise<void>): Promise<AdapterServer> {
  const sockets = new Set<Socket>()
  server.on('connection', (socket: Socket) => {
    sockets.add(socket)
    socket.once('close', () => sockets.delete(socket))
  })
  if (!server.listening) await once(server, 'listening')
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}/events`,
    port,
    sockets: () => [...sockets],
    errors,
    async close() {
      server.closeAllConnections()
      if (stop !== undefined) return stop()
      await new Promise((resolve) => server.close(resolve))
    },
  }
}

const nodeHttp: Adapter = {
  name: 'node:http',
  authorizes: false,
  compression: undefined,
  async start(channel) {
    const server = http.createServer((req, res) => channel.handle(req, res))
    server.listen(0, '127.0.0.1')
    return listening(server, [])
  },
}

const koa: Adapter = {
  name: 'Koa',
  authorizes: true,
  compression: 'koa-compress',
  async start(channel, options = {}) {
    const errors: unknown[] = []
    const app = new Koa()
    app.on('error', (error: unknown) => errors.push(error))
    app.use(koaCompress({ threshold: 0 }))
    const router = new Router()
    router.all('/events', koaSse(channel, { authorize: authorizeWith(options) }))
    router.get('/json', (ctx) => {
      ctx.body = JSON_BODY
    })
    app.use(router.routes())
    return listening(app.listen(0, '127.0.0.1'), errors)
  },
}

const expressAdapter: Adapter = {
  name: 'Express',
  authorizes: false,
  compression: 'compression',
  async start(channel) {
    const app = express()
    app.use(compression({ threshold: 0 }))
    // `all`, not `get`: Herald answers HEAD, and any other method with its own 405.
    app.all('/events', (req, res) => channel.handle(req, res))
    app.get('/json', (_req, res) => {
      res.json(JSON_BODY)
    })
    return listening(app.listen(0, '127.0.0.1'), [])
  },
}

const fastify: Adapter = {
  name: 'Fastify',
  authorizes: false,
  compression: '@fastify/compress',
  async start(channel) {
    const errors: unknown[] = []
    const app = Fastify()
    await app.register(compressFastify, { global: true, threshold: 0 })
    // hijack(): Fastify sends nothing for this reply and runs none of its onSend hooks (where
    // @fastify/compress compresses); the channel writes to the raw response itself.
    app.all('/events', (request, reply) => {
      reply.hijack()
      channel.handle(request.raw, reply.raw)
    })
    app.get('/json', async () => JSON_BODY)
    app.setErrorHandler((error, _request, reply) => {
      errors.push(error)
      return reply.code(500).send()
    })
    await app.listen({ port: 0, host: '127.0.0.1' })
    return listening(app.server, errors, () => app.close())
  },
}

const hono: Adapter = {
  name: 'Hono (Fetch adapter)',
  authorizes: true,
  compression: 'hono/compress',
  async start(channel, options = {}) {
    const errors: unknown[] = []
    const app = new Hono()
    app.use(compressHono({ threshold: 0 }))
    const stream = fetchSse(channel, {
      authorize: authorizeWith(options),
      onError: (error) => errors.push(error),
    })
    app.all('/events', (c) => stream(c.req.raw, { address: getConnInfo(c).remote.address }))
    app.get('/json', (c) => c.json(JSON_BODY))
    app.onError((error, c) => {
      errors.push(error)
      return c.text('Internal Server Error', 500)
    })
    const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }) as Server
    return listening(server, errors)
  },
}

/** The `authorize` option of an adapter, from the test's. */
function authorizeWith(options: AdapterOptions) {
  const { authorize } = options
  return authorize === undefined ? undefined : (_context: unknown, topic: string) => authorize(topic)
}

/** Every adapter, in the order the suite runs them. */
export const adapters: readonly Adapter[] = [nodeHttp, koa, expressAdapter, fastify, hono]
