import { type ControlPayloads, defineEvents } from '@herald/schema'
import Koa from 'koa'
import { expectTypeOf } from 'vitest'
import * as z from 'zod'
import { createChannel } from './channel.ts'
import type { EventId } from './event-id.ts'
import { connect, type TestEvent, type TestStream } from './testing.ts'
import type { Channel } from './types.ts'

const events = defineEvents(
  { name: z.string(), age: z.number().int(), time: z.date() },
  { topics: { room: z.int().positive() } },
)
const channel = createChannel(events)
const stream = await connect(channel, { topics: ['room:1'], lastEventId: '0', headers: { cookie: 'a=b' } })

expectTypeOf(stream).toEqualTypeOf<TestStream<typeof events>>()
expectTypeOf(stream.next('age')).toEqualTypeOf<Promise<number>>()
expectTypeOf(stream.next('time')).resolves.toEqualTypeOf<Date>()
expectTypeOf(stream.next()).resolves.toEqualTypeOf<TestEvent<typeof events>>()
const any = await stream.next()
if (any.name === 'age') expectTypeOf(any.payload).toEqualTypeOf<number>()
if (any.name === 'time') expectTypeOf(any.payload).toEqualTypeOf<Date>()
expectTypeOf(any.id).toEqualTypeOf<string>()
expectTypeOf(stream.control('herald:ping')).resolves.toEqualTypeOf<null>()
expectTypeOf(stream.control('herald:gap')).resolves.toEqualTypeOf<ControlPayloads['herald:gap']>()
expectTypeOf(stream.topics).toEqualTypeOf<readonly `room:${number}`[]>()

// @ts-expect-error 'agee' is not an event
void stream.next('agee')
// @ts-expect-error a wrong name fails with options too
void stream.next('agee', { timeoutMs: 5 })
// @ts-expect-error 'herald:pong' is not a control event
void stream.control('herald:pong')
// @ts-expect-error 'user:ada' is not a topic of the contract
void connect(channel, { topics: ['user:ada'] })

// A Koa app's callback, or any node:http handler, with the contract its streams are read with.
const app = new Koa()
expectTypeOf(connect(app.callback(), events, { path: '/events' })).resolves.toEqualTypeOf<TestStream<typeof events>>()
void connect((_req, res) => res.end(), events)
// @ts-expect-error a handler needs the contract
void connect(app.callback())

// A channel on an asynchronous engine (emit returns a Promise<EventId>) connects too.
declare const shared: Channel<typeof events, Promise<EventId>>
expectTypeOf(connect(shared)).resolves.toEqualTypeOf<TestStream<typeof events>>()
