// Herald on the Redis Streams engine, as its users write it for a scaled-out deployment: the same
// contract and route as `herald.ts`, with `createRedisEngine` on their own node-redis client
// (env `REDIS_URL`, channel key `REDIS_KEY`). Several of these processes given the same Redis and
// key are instances of one channel: an emit on one reaches the streams of all.
import { createServer } from 'node:http'
import { createRedisEngine } from '@herald/redis'
import { defineEvents } from '@herald/schema'
import { createChannel } from '@herald/server'
import { sse } from '@herald/server/koa'
import Router from '@koa/router'
import Koa from 'koa'
import { createClient } from 'redis'
import * as z from 'zod'
import { heartbeatMs, runBenchServer } from '../server-harness.ts'

const url = process.env['REDIS_URL']
if (url === undefined) throw new Error('herald-redis needs REDIS_URL')
const redis = createClient({ url })
redis.on('error', (error: unknown) => process.stderr.write(`herald-redis: redis client: ${String(error)}\n`))
await redis.connect()
const engine = await createRedisEngine({ redis, key: process.env['REDIS_KEY'] ?? 'bench' })

const events = defineEvents({
  tick: z.object({ seq: z.number().int().positive(), t: z.number(), pad: z.string() }),
})
const channel = createChannel(events, { engine, heartbeatMs: heartbeatMs() })

const router = new Router()
router.get('/events', sse(channel))
const app = new Koa()
app.use(router.routes()).use(router.allowedMethods())

await runBenchServer({
  path: '/events',
  http: createServer(app.callback()),
  broadcast(payload) {
    // A rejected emit is never delivered, so the run would only time out: fail it at once instead.
    channel.emit('tick', payload).catch((error: unknown) => {
      process.stderr.write(`herald-redis: emit ${payload.seq} rejected: ${String(error)}\n`)
      process.exit(1)
    })
  },
  subscribers: () => channel.size,
})
