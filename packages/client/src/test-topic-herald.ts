// Test fixtures for end-to-end topic tests: Herald's real channel behind real Koa on 127.0.0.1,
// port 0, serving `/events` through `sse(channel, options)`, with optional middleware in front of
// it (authentication) and extra routes (`POST /tickets`). It records every stream request (topics,
// ticket, last event id), can cut every stream socket from the server's side, and can restart
// (a new channel, so a new epoch, on the same port), as a redeployed server would.
import type { AddressInfo, Socket } from 'node:net'
import type { AnyEvents } from '@herald/schema'
import { type Channel, type ChannelOptions, createChannel } from '@herald/server'
import { type SseOptions, sse } from '@herald/server/koa'
import Koa from 'koa'

/** One request to `/events`, as the server received it. */
export interface StreamRequestRecord {
  /** The `topic` query parameters, in order. */
  readonly topics: readonly string[]
  /** The `ticket` query parameter, if any. */
  readonly ticket: string | null
  /** The `Last-Event-ID` header, else the `lastEventId` parameter, else null. */
  readonly lastEventId: string | null
  /** When it arrived (`performance.now()`). */
  readonly at: number
  /** The status answered, once the middleware is done (200 for a stream). */
  status?: number
  /** The body answered instead of a stream, as text. */
  body?: string
}

/** What `serveTopicHerald` serves. */
export interface TopicHeraldOptions<TEvents extends AnyEvents> {
  /** The channel's options (heartbeat off unless given). */
  readonly channel?: ChannelOptions
  /** The options of `sse()`. */
  readonly sse?: SseOptions<TEvents>
  /** Middleware run in front of `sse()` on `/events`, e.g. authentication. */
  readonly guard?: Koa.Middleware
  /** Other routes, by `METHOD /path`, e.g. `'POST /tickets'`. */
  readonly routes?: Readonly<Record<string, Koa.Middleware>>
}

/** A listening Koa app serving one Herald channel at `/events`. */
export interface TopicHerald<TEvents extends AnyEvents> {
  /** The current channel (a new one after `restart`). */
  readonly channel: Channel<TEvents>
  /** The stream's URL. */
  readonly url: string
  /** The server's origin, for other routes. */
  readonly origin: string
  /** Every request to `/events`, in order. */
  readonly requests: readonly StreamRequestRecord[]
  /** Destroys every open stream socket, as a network failure would; returns how many there were. */
  kill(): number
  /** Closes the channel and serves a new one (a new epoch: no id of the old one resumes). */
  restart(): Promise<void>
  /** Closes the channel and the server; safe to call twice. */
  close(): Promise<void>
}

/** Starts Koa with a channel for `events`. */
export async function serveTopicHerald<TEvents extends AnyEvents>(
  events: TEvents,
  options: TopicHeraldOptions<TEvents> = {},
): Promise<TopicHerald<TEvents>> {
  const open = () => createChannel(events, { heartbeatMs: 0, ...options.channel })
  let channel = open()
  let stream = sse(channel, options.sse)
  const requests: StreamRequestRecord[] = []
  const streamSockets = new Set<Socket>()
  const app = new Koa()
  app.silent = true
  app.use(async (ctx, next) => {
    const route = options.routes?.[`${ctx.method} ${ctx.path}`]
    if (route !== undefined) return route(ctx, next)
    if (ctx.path !== '/events') return next()
    const query = new URLSearchParams(ctx.querystring)
    const header = ctx.get('last-event-id')
    const record: StreamRequestRecord = {
      topics: query.getAll('topic'),
      ticket: query.get('ticket'),
      lastEventId: header !== '' ? header : query.get('lastEventId'),
      at: performance.now(),
    }
    requests.push(record)
    const socket = ctx.req.socket
    streamSockets.add(socket)
    socket.once('close', () => streamSockets.delete(socket))
    const current = stream
    const run = options.guard === undefined ? current(ctx, next) : options.guard(ctx, () => current(ctx, next))
    await run
    record.status = ctx.respond === false ? 200 : ctx.status
    if (typeof ctx.body === 'string') record.body = ctx.body
  })
  const server = app.listen(0, '127.0.0.1')
  await new Promise<void>((resolve) => server.once('listening', resolve))
  const { port } = server.address() as AddressInfo
  const origin = `http://127.0.0.1:${port}`
  return {
    get channel() {
      return channel
    },
    url: `${origin}/events`,
    origin,
    requests,
    kill() {
      const count = streamSockets.size
      for (const socket of streamSockets) socket.destroy()
      return count
    },
    async restart() {
      const old = channel
      channel = open()
      stream = sse(channel, options.sse)
      await old.close()
    },
    async close() {
      await channel.close()
      if (!server.listening) return
      server.closeAllConnections()
      await new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())))
    },
  }
}

/** Orders two ids of one epoch (`<epoch>-<ms>-<seq>`) by position. */
export function compareIds(a: string, b: string): number {
  const [, ms1 = '0', seq1 = '0'] = /-(\d+)-(\d+)$/.exec(a) ?? []
  const [, ms2 = '0', seq2 = '0'] = /-(\d+)-(\d+)$/.exec(b) ?? []
  const diff = BigInt(ms1) - BigInt(ms2) || BigInt(seq1) - BigInt(seq2)
  return diff < 0n ? -1 : diff > 0n ? 1 : 0
}

/** Resolves after `ms` milliseconds. */
export const wait = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

/** Resolves once `check()` holds, polling at every turn of the event loop; rejects after `timeoutMs`. */
export function until(check: () => boolean, timeoutMs = 5000): Promise<number> {
  const started = performance.now()
  return new Promise((resolve, reject) => {
    const poll = () => {
      if (check()) return resolve(performance.now())
      if (performance.now() - started > timeoutMs) return reject(new Error(`condition not met in ${timeoutMs} ms`))
      setImmediate(poll)
    }
    poll()
  })
}
