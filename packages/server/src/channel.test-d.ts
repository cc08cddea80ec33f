import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Http2ServerRequest, Http2ServerResponse } from 'node:http2'
import { defineEvents, text } from '@herald/schema'
import { expectTypeOf } from 'vitest'
import * as z from 'zod'
import { createChannel } from './channel.ts'
import type { EventId } from './event-id.ts'
import { sse } from './koa.ts'
import { createMemoryEngine } from './memory-engine.ts'
import { createTickets } from './tickets.ts'

const events = defineEvents({
  name: z.string(),
  age: z.number().int(),
  time: z.date(),
  count: text(z.coerce.number()),
  ping: z.void(),
  maybe: z.string().optional(),
})
const channel = createChannel(events)

expectTypeOf(channel.emit('age', 24)).toEqualTypeOf<EventId>()
channel.emit('name', 'Alice')
channel.emit('time', new Date())
channel.emit('count', 3)
channel.emit('ping')
channel.emit('maybe')
channel.emit('maybe', 'x')

// @ts-expect-error 'agee' is not an event
channel.emit('agee', 24)
// @ts-expect-error age takes a number, not a string
channel.emit('age', '24')
// @ts-expect-error time takes a Date, not its wire form
channel.emit('time', '2024-01-01T00:00:00.000Z')
// @ts-expect-error a payload is required when the schema does not accept undefined
channel.emit('age')
// @ts-expect-error the event name must be a literal of the map
channel.emit('na' + 'me', 'Alice')

expectTypeOf(channel.emit).parameter(0).toEqualTypeOf<'name' | 'age' | 'time' | 'count' | 'ping' | 'maybe'>()
expectTypeOf(channel.events).toEqualTypeOf(events)

// An asynchronous engine makes emit return a promise of the id.
const asyncChannel = createChannel(events, {
  engine: { ...createMemoryEngine(), publish: async () => '1-0' as EventId },
})
expectTypeOf(asyncChannel.emit('age', 1)).toEqualTypeOf<Promise<EventId>>()

// handle() serves node:http, and node:http2 through its compatibility API.
declare const http1: [IncomingMessage, ServerResponse]
declare const http2: [Http2ServerRequest, Http2ServerResponse]
channel.handle(...http1)
channel.handle(...http2)
// @ts-expect-error a response is needed
channel.handle(http1[0])
createChannel(events, { clientKey: (req) => String(req.headers['x-forwarded-for'] ?? req.socket.remoteAddress) })
// Options may be undefined (exactOptionalPropertyTypes): that means the default.
createChannel(events, { heartbeatMs: undefined, engine: undefined, clientKey: undefined })
// @ts-expect-error clientKey returns a string
createChannel(events, { clientKey: () => 1 })
// clientKey reads what every adapter gives (the Fetch adapter too): method, url, headers, the address.
createChannel(events, { clientKey: (req) => `${req.method} ${req.url} ${req.socket.remoteAddress}` })
// @ts-expect-error not Node's socket: the Fetch adapter has none
createChannel(events, { clientKey: (req) => String(req.socket.remotePort) })

// Topics: channel.to() takes the contract's topics only, and its emit is typed as channel.emit.
const topical = defineEvents(
  { message: z.object({ from: z.string(), text: z.string() }), notice: z.string() },
  { topics: { user: z.string().regex(/^[a-z0-9]+$/), room: z.int().positive() } },
)
const rooms = createChannel(topical)
expectTypeOf(rooms.to('room:42').emit('message', { from: 'ann', text: 'hi' })).toEqualTypeOf<EventId>()
rooms.to(['user:7', 'room:9']).emit('notice', 'n')
expectTypeOf(rooms.to('user:ann').topics).toEqualTypeOf<readonly (`user:${string}` | `room:${number}`)[]>()
// @ts-expect-error 'chat' is not a topic kind of the contract
rooms.to('chat:1')
// @ts-expect-error a room's parameter is a number
rooms.to('room:abc')
// @ts-expect-error a topic needs its parameter
rooms.to('room')
// @ts-expect-error one wrong topic in a list
rooms.to(['user:7', 'chat:1'])
// @ts-expect-error message takes { from, text }, not a string
rooms.to('room:1').emit('message', 'hi')
// @ts-expect-error 'mesage' is not an event
rooms.to('room:1').emit('mesage', { from: 'ann', text: 'hi' })
// @ts-expect-error notice needs its payload
rooms.to('room:1').emit('notice')
// @ts-expect-error a contract without topics has none to send to
channel.to('room:1')

// sse(): the topics option returns the contract's topics; authorize gets one, typed.
sse(rooms, {
  topics: (ctx) => [`user:${String(ctx.state['user'])}`],
  authorize: async (_ctx, topic) => {
    expectTypeOf(topic).toEqualTypeOf<`user:${string}` | `room:${number}`>()
    return topic.startsWith('room:')
  },
  maxTopics: 10,
})
sse(rooms, { topics: async () => new Set(['room:1'] as const) })
// @ts-expect-error the topics option returns topics of the contract
sse(rooms, { topics: () => ['chat:1'] })
// @ts-expect-error authorize answers with a boolean
sse(rooms, { authorize: () => 'yes' })
// @ts-expect-error the tickets option needs a verify()
sse(rooms, { tickets: {} })
sse(rooms, { tickets: createTickets({ secret: 'x'.repeat(32) }) })
// handle() takes topics as plain strings: what sse() or your own handler decided.
rooms.handle(...http1, { topics: ['room:1'], refused: [{ topic: 'room:x', reason: 'invalid' }] })
// @ts-expect-error a refusal's reason is one of forbidden, invalid, limit
rooms.handle(...http1, { refused: [{ topic: 'room:x', reason: 'nope' }] })
