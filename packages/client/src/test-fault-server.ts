// Test fixture for fault injection: a real Koa server serving a given Herald channel at `/events`
// on 127.0.0.1, with each open socket reachable so a test can destroy one of its choice, and an
// optional fixed port so a "restarted" server can come back at the same URL.
import type { IncomingHttpHeaders } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import type { AnyEvents } from '@herald/schema'
import type { Channel } from '@herald/server'
import { sse } from '@herald/server/koa'
import Koa from 'koa'

/** A listening Koa app serving one channel. */
export interface FaultServer {
  readonly port: number
  /** The stream's full URL. */
  readonly url: string
  /** The headers of every request to `/events`, in order. */
  readonly requests: readonly IncomingHttpHeaders[]
  /**
   * What Koa reported to `app.on('error')`: with `ctx.respond = false` these are the errors of
   * sockets cut under a stream (ECONNRESET, EPIPE), which Koa would otherwise print.
   */
  readonly errors: readonly Error[]
  /** The open sockets, oldest first. */
  sockets(): Socket[]
  /** Closes the channel, drops every connection left and stops listening; safe to call twice. */
  close(): Promise<void>
}

/** Serves `channel` on `port` (0 picks a free one). */
export async function serveFaulty(channel: Channel<AnyEvents>, port = 0): Promise<FaultServer> {
  const stream = sse(channel)
  const requests: IncomingHttpHeaders[] = []
  const errors: Error[] = []
  const app = new Koa()
  app.on('error', (error: Error) => errors.push(error))
  app.use((ctx, next) => {
    if (ctx.path !== '/events') return next()
    requests.push(ctx.headers)
    return stream(ctx, next)
  })
  const server = app.listen(port, '127.0.0.1')
  const sockets = new Set<Socket>()
  server.on('connection', (socket: Socket) => {
    sockets.add(socket)
    socket.once('close', () => sockets.delete(socket))
  })
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve)
    server.once('error', reject)
  })
  const bound = (server.address() as AddressInfo).port
  return {
    port: bound,
    url: `http://127.0.0.1:${bound}/events`,
    requests,
    errors,
    sockets: () => [...sockets],
    async close() {
      await channel.close()
      if (!server.listening) return
      server.closeAllConnections()
      for (const socket of sockets) socket.destroy()
      await new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())))
    },
  }
}
