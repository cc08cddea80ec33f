import { createHmac, randomBytes } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { type Channel, createChannel, createTickets, type EventId } from '@herald/server'
import Router from '@koa/router'
import Koa from 'koa'
import { asyncapiRoute } from './asyncapi.ts'
import { addChatRoutes } from './chat-routes.ts'
import { type ExampleEvents, events, ROOMS } from './events.ts'
import { readyRoute } from './ready.ts'
import { connectSharedLog, type SharedLog } from './shared-log.ts'
import { streamRoute } from './stream.ts'

const publicDir = new URL('../public/', import.meta.url)
const people = [
  { name: 'Alice', age: 24 },
  { name: 'Bob', age: 31 },
  { name: 'Chen', age: 45 },
]

/** Options of `startServer`. */
export interface ServerOptions {
  /** The port to listen on; 0 picks a free one. */
  port: number
  /** Milliseconds between clock ticks. @default 1000 */
  tickMs?: number
  /** The `retry:` the stream tells clients, in ms. @default 1000 */
  retryMs?: number
  /** How many events the channel keeps per topic for clients that resume. @default 1000 */
  historySize?: number
  /**
   * Signs the sign-in cookies and the stream tickets. A server restarted with the same secret
   * keeps its users signed in. @default random bytes: a restart signs everyone out
   */
  secret?: string
  /** A bot posts into the next room every this many ticks; 0 turns it off. @default 5 */
  botEveryTicks?: number
  /**
   * Whether this instance emits the demos' events (the clock, the name and age, the bot). Of several
   * instances sharing one Redis, one does, and every page shows its events. @default true
   */
  clock?: boolean
  /**
   * Share the channel with every instance given the same Redis (`redis://host:port`) and `redisKey`:
   * an emit on one reaches the streams of all, a client resumes on any. Without it the channel lives
   * in this process's memory. Instances sharing one need the same `secret` too (cookies, tickets).
   */
  redisUrl?: string | undefined
  /** The prefix of the channel's keys in Redis. @default 'herald-example' */
  redisKey?: string
  /** Where the Redis connection's changes are reported. @default standard error */
  log?: (line: string) => void
}

/** The example's channel: its emits return the id, or a promise of it on Redis. */
export type ExampleChannel = Channel<ExampleEvents, EventId | Promise<EventId>>

/** A running example server. */
export interface ExampleServer {
  readonly url: string
  readonly channel: ExampleChannel
  /** The Redis engine, when the channel is shared (`redisUrl`). */
  readonly shared: SharedLog | undefined
  /** The listening server. */
  readonly http: Server
  close(): Promise<void>
}

/** How long a stream ticket is accepted after it is issued. */
const TICKET_TTL_MS = 30_000

/**
 * Starts the example: the page at `/`, its script at `/app.js` (with `/app.js.map` and `/app.js.LEGAL.txt`), the stream at
 * `/events`, the chat's endpoints (`chat-routes.ts`), the readiness probe at `/ready` and the
 * contract's AsyncAPI document at `/asyncapi.json`.
 */
export async function startServer({
  port,
  tickMs = 1000,
  retryMs = 1000,
  historySize = 1000,
  secret = randomBytes(32).toString('base64url'),
  botEveryTicks = 5,
  clock = true,
  redisUrl,
  redisKey = 'herald-example',
  log,
}: ServerOptions): Promise<ExampleServer> {
  const shared =
    redisUrl === undefined
      ? undefined
      : await connectSharedLog({ url: redisUrl, key: redisKey, historySize, ticketTtlMs: 2 * TICKET_TTL_MS, log })
  const channel: ExampleChannel =
    shared === undefined
      ? createChannel(events, { heartbeatMs: 15_000, retryMs, historySize })
      : createChannel(events, { heartbeatMs: 15_000, retryMs, engine: shared.engine })
  // Instances sharing a Redis verify each other's tickets: one secret, and a second of clock skew.
  const tickets = createTickets({ secret: derive(secret, 'tickets'), ttlMs: TICKET_TTL_MS, leewayMs: 1000 })
  const router = new Router()
  router.get('/events', streamRoute(channel, tickets, shared?.claimTicket))
  router.get('/asyncapi.json', asyncapiRoute())
  router.get('/ready', readyRoute(shared === undefined ? undefined : () => shared.engine.health()))
  addChatRoutes(router, channel, tickets)
  router.get('/', async (ctx) => {
    ctx.type = 'html'
    ctx.body = await readFile(new URL('index.html', publicDir))
  })
  router.get('/app.js', async (ctx) => {
    ctx.type = 'text/javascript'
    ctx.body = await readFile(new URL('app.js', publicDir))
  })
  // The bundle's source map, for the browser's developer tools (app.js links to it).
  router.get('/app.js.map', async (ctx) => {
    ctx.type = 'application/json'
    ctx.body = await readFile(new URL('app.js.map', publicDir))
  })
  // The license notices of the bundled libraries (React's), which esbuild moves out of app.js and links.
  router.get('/app.js.LEGAL.txt', async (ctx) => {
    ctx.type = 'text/plain'
    ctx.body = await readFile(new URL('app.js.LEGAL.txt', publicDir))
  })
  // The page links an inline icon; this answers browsers and tools that ask for /favicon.ico anyway.
  router.get('/favicon.ico', (ctx) => {
    ctx.status = 204
  })
  const app = new Koa({ keys: [derive(secret, 'cookies')] })
  app.use(router.routes()).use(router.allowedMethods())

  // The clock demo: a `time` event every tick. The two-event demo: `name`, then `age` a tick later.
  // On Redis an emit is a promise: while Redis is down it rejects (ENGINE_UNAVAILABLE, never sent
  // later), and the demo just skips that tick; the connection's log line says why.
  const skip = (id: EventId | Promise<EventId>) => {
    if (typeof id !== 'string') id.catch(() => {})
  }
  let tick = 0
  const timer = setInterval(() => {
    if (!clock) return
    skip(channel.emit('time', new Date()))
    const person = people[Math.floor(tick / 3) % people.length]
    if (person !== undefined && tick % 3 === 0) skip(channel.emit('name', person.name))
    if (person !== undefined && tick % 3 === 1) skip(channel.emit('age', person.age))
    // The chat's bot: a line in each room in turn, so an open room shows life.
    const room = ROOMS[Math.floor(tick / botEveryTicks) % ROOMS.length]
    if (botEveryTicks > 0 && tick % botEveryTicks === 0 && room !== undefined) {
      const message = { room, from: 'bot', text: `tick ${tick} in ${room}`, at: new Date() }
      skip(channel.to(`room:${room}`).emit('message', message))
    }
    tick += 1
  }, tickMs)

  const server = app.listen(port)
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('listening', resolve)
      server.once('error', reject) // e.g. EADDRINUSE
    })
  } catch (error) {
    clearInterval(timer)
    await channel.close()
    await shared?.close()
    throw error
  }
  const address = server.address() as AddressInfo
  return {
    url: `http://localhost:${address.port}`,
    channel,
    shared,
    http: server,
    async close() {
      clearInterval(timer)
      await channel.close()
      await new Promise<void>((resolve) => server.close(() => resolve()))
      await shared?.close()
    },
  }
}

/** A key for one use (`label`) derived from the server's secret, so cookies and tickets never share one. */
function derive(secret: string, label: string): string {
  return createHmac('sha256', secret).update(label).digest('base64url')
}
