// Herald with topics, as its users write it, for the topic benchmark (run-topics.ts). With
// `HERALD_TOPICS=1` the contract declares `user` and `room` topics and `sse(channel, { authorize })`
// lets each stream join the topic it asks for (`?topic=`); with `HERALD_TOPICS=0` it is the
// broadcast-only channel of `herald.ts`: no topics in the contract, plain `sse(channel)`.
// Emits are broadcast (`channel.emit`) or go to one topic each (`channel.to(topic).emit`).
import { createServer } from 'node:http'
import { defineEvents } from '@herald/schema'
import { createChannel } from '@herald/server'
import { sse } from '@herald/server/koa'
import Router from '@koa/router'
import Koa from 'koa'
import * as z from 'zod'
import type { TickPayload } from '../payload.ts'
import { heartbeatMs } from '../server-harness.ts'
import { runTopicServer } from '../topic-server-harness.ts'

const tick = z.object({ seq: z.number().int().positive(), t: z.number(), pad: z.string() })
const withTopics = process.env['HERALD_TOPICS'] === '1'
const events = withTopics
  ? defineEvents({ tick }, { topics: { user: z.string().regex(/^[a-z0-9]+$/), room: z.int().positive() } })
  : defineEvents({ tick })
const channel = createChannel(events, { heartbeatMs: heartbeatMs() })
// The channel's type differs with the contract; the emits below need only what both have.
const emitter = channel as unknown as {
  emit(name: 'tick', payload: TickPayload): unknown
  to(topic: string): { emit(name: 'tick', payload: TickPayload): unknown }
}

const router = new Router()
router.get('/events', withTopics ? sse(channel, { authorize: () => true }) : sse(channel))
const app = new Koa()
app.use(router.routes()).use(router.allowedMethods())

await runTopicServer({
  http: createServer(app.callback()),
  broadcast: (payload) => emitter.emit('tick', payload),
  emitTo: (topic, payload) => emitter.to(topic).emit('tick', payload),
  subscribers: () => channel.size,
})
