// Servers for the CLI's tests, on 127.0.0.1 port 0: a real Koa app serving a Herald channel, and
// a raw node:http SSE server that writes whatever a test gives it, invalid payloads included.
import http from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import { type Channel, createChannel } from '@herald/server'
import { sse } from '@herald/server/koa'
import Koa from 'koa'
import { events } from './test-contract.ts'

/** A Koa app with a Herald channel of the test contract at `/events`. */
export interface HeraldServer {
  readonly channel: Channel<typeof events>
  /** The stream's URL. */
  readonly url: string
  /** The `authorization` header of every stream request, in order. */
  readonly authorizations: readonly (string | undefined)[]
  close(): Promise<void>
}

/** Starts Koa; with `token`, a stream without `authorization: Bearer <token>` is answered 401. */
export async function serveHerald(options: { token?: string } = {}): Promise<HeraldServer> {
  const channel = createChannel(events, { heartbeatMs: 0 })
  // Every topic a client asks for is allowed: what the CLI asks for is what a test checks.
  const stream = sse(channel, { authorize: () => true })
  const authorizations: (string | undefined)[] = []
  const app = new Koa()
  app.use(async (ctx, next) => {
    if (ctx.path !== '/events') return next()
    authorizations.push(ctx.get('authorization') || undefined)
    if (options.token !== undefined && ctx.get('authorization') !== `Bearer ${options.token}`) ctx.throw(401)
    await stream(ctx, next)
  })
  const server = await listen(app.callback())
  return {
    channel,
    url: `${origin(server)}/events`,
    authorizations,
    async close() {
      await channel.close()
      await shut(server)
    },
  }
}

/** A raw SSE server: every request to any path gets `body`, and the response stays open. */
export async function serveRaw(body: string): Promise<{ url: string; close(): Promise<void> }> {
  const server = await listen((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store' })
    res.write(body)
  })
  return { url: `${origin(server)}/events`, close: () => shut(server) }
}

async function listen(handler: http.RequestListener): Promise<http.Server> {
  const server = http.createServer(handler)
  const sockets = new Set<Socket>()
  server.on('connection', (socket: Socket) => {
    sockets.add(socket)
    socket.once('close', () => sockets.delete(socket))
  })
  server.once('close', () => {
    for (const socket of sockets) socket.destroy()
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return server
}

function origin(server: http.Server): string {
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
}

function shut(server: http.Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve())
    server.closeAllConnections()
  })
}
