// Test fixtures for the client: a real Herald channel behind a real Koa server on 127.0.0.1,
// port 0, with the requests it received and the sockets it holds, so tests can read what the
// client sent and cut its connection from the server's side.
import type { IncomingHttpHeaders } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import type { AnyEvents } from '@herald/schema'
import { type Channel, type ChannelOptions, createChannel } from '@herald/server'
import { sse } from '@herald/server/koa'
import Koa from 'koa'
import type { HeraldClient } from './types.ts'

/** One request the server received. */
export interface Request {
  readonly url: string
  readonly headers: IncomingHttpHeaders
}

/** A listening Koa app serving one Herald channel at `/events`. */
export interface HeraldServer<TEvents extends AnyEvents> {
  readonly channel: Channel<TEvents>
  /** The stream's full URL. */
  readonly url: string
  /** Every request to `/events`, in order. */
  readonly requests: readonly Request[]
  /** Destroys every open socket, as a network failure would; returns how many there were. */
  dropConnections(): number
  /** Closes the channel and the server, dropping any connection left; safe to call twice. */
  close(): Promise<void>
}

/** Starts Koa with a channel for `events` created with `options`. */
export async function serveHerald<TEvents extends AnyEvents>(
  events: TEvents,
  options: ChannelOptions = {},
): Promise<HeraldServer<TEvents>> {
  const channel = createChannel(events, { heartbeatMs: 0, ...options })
  const stream = sse(channel)
  const requests: Request[] = []
  const app = new Koa()
  app.use((ctx, next) => {
    if (ctx.path !== '/events') return next()
    requests.push({ url: ctx.url, headers: ctx.headers })
    return stream(ctx, next)
  })
  const server = app.listen(0, '127.0.0.1')
  const sockets = new Set<Socket>()
  server.on('connection', (socket: Socket) => {
    sockets.add(socket)
    socket.once('close', () => sockets.delete(socket))
  })
  await new Promise<void>((resolve) => server.once('listening', resolve))
  const { port } = server.address() as AddressInfo
  return {
    channel,
    url: `http://127.0.0.1:${port}/events`,
    requests,
    dropConnections() {
      const count = sockets.size
      for (const socket of sockets) socket.destroy()
      return count
    },
    async close() {
      await channel.close()
      if (!server.listening) return
      server.closeAllConnections()
      await new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())))
    },
  }
}

/** Resolves at the client's next `open`, with the time it came (`performance.now()`). */
export function nextOpen(client: Pick<HeraldClient<AnyEvents>, 'onOpen'>): Promise<number> {
  return new Promise((resolve) => {
    const off = client.onOpen(() => {
      off()
      resolve(performance.now())
    })
  })
}

/** Runs cleanup functions in reverse order of registration; call `run` in `afterEach`. */
export function cleanups(): { add(fn: () => unknown): void; run(): Promise<void> } {
  const fns: (() => unknown)[] = []
  return {
    add: (fn) => void fns.push(fn),
    async run() {
      for (const fn of fns.splice(0).reverse()) await fn()
    },
  }
}
