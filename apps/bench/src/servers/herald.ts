// Herald as its users write it: a zod event map, `createChannel` with its defaults (validation,
// ids and a 1,000-event history on), and the Koa middleware on an @koa/router route.
import { createServer } from 'node:http'
import { defineEvents } from '@herald/schema'
import { createChannel } from '@herald/server'
import { sse } from '@herald/server/koa'
import Router from '@koa/router'
import Koa from 'koa'
import * as z from 'zod'
import { heartbeatMs, runBenchServer } from '../server-harness.ts'

const events = defineEvents({
  tick: z.object({ seq: z.number().int().positive(), t: z.number(), pad: z.string() }),
})
const channel = createChannel(events, { heartbeatMs: heartbeatMs() })

const router = new Router()
router.get('/events', sse(channel))
const app = new Koa()
app.use(router.routes()).use(router.allowedMethods())

await runBenchServer({
  path: '/events',
  http: createServer(app.callback()),
  broadcast: (payload) => channel.emit('tick', payload),
  subscribers: () => channel.size,
})
