import { createHmac, randomBytes } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createChannel, createTickets } from '@herald/server'
import Router from '@koa/router'
import Koa from 'koa'
import { addChatRoutes } from './chat-routes.ts'
import { events, ROOMS } from './events.ts'
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
}

/** A running example server. */
export interface ExampleServer {
  readonly url: string
  readonly channel: ReturnType<typeof createChannel<typeof events>>
  /** The listening server. */
  readonly http: Server
  close(): Promise<void>
}

/**
 * Starts the example: the page at `/`, its script at `/app.js` (with `/app.js.map`), the stream at
 * `/events`, and the chat's endpoints (`chat-routes.ts`).
 */
export async function startServer({
  port,
  tickMs = 1000,
  retryMs = 1000,
  historySize = 1000,
  secret = randomBytes(32).toString('base64url'),
  botEveryTicks = 5,
}: ServerOptions): Promise<ExampleServer> {
  const channel = createChannel(events, { heartbeatMs: 15_000, retryMs, historySize })
  const tickets = createTickets({ secret: derive(secret, 'tickets'), ttlMs: 30_000 })
  const router = new Router()
  router.get('/events', streamRoute(channel, tickets))
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
  // The page links an inline icon; this answers browsers and tools that ask for /favicon.ico anyway.
  router.get('/favicon.ico', (ctx) => {
    ctx.status = 204
  })
  const app = new Koa({ keys: [derive(secret, 'cookies')] })
  app.use(router.routes()).use(router.allowedMethods())

  // The clock demo: a `time` event every tick. The two-event demo: `name`, then `age` a tick later.
  let tick = 0
  const timer = setInterval(() => {
    channel.emit('time', new Date())
    const person = people[Math.floor(tick / 3) % people.length]
    if (person !== undefined && tick % 3 === 0) channel.emit('name', person.name)
    if (person !== undefined && tick % 3 === 1) channel.emit('age', person.age)
    // The chat's bot: a line in each room in turn, so an open room shows life.
    const room = ROOMS[Math.floor(tick / botEveryTicks) % ROOMS.length]
    if (botEveryTicks > 0 && tick % botEveryTicks === 0 && room !== undefined) {
      channel.to(`room:${room}`).emit('message', { room, from: 'bot', text: `tick ${tick} in ${room}`, at: new Date() })
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
    throw error
  }
  const address = server.address() as AddressInfo
  return {
    url: `http://localhost:${address.port}`,
    channel,
    http: server,
    async close() {
      clearInterval(timer)
      await channel.close()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}

/** A key for one use (`label`) derived from the server's secret, so cookies and tickets never share one. */
function derive(secret: string, label: string): string {
  return createHmac('sha256', secret).update(label).digest('base64url')
}
