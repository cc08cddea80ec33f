import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Http2ServerRequest, Http2ServerResponse } from 'node:http2'
import { defineEvents, text } from '@herald/schema'
import { expectTypeOf } from 'vitest'
import * as z from 'zod'
import { createChannel } from './channel.ts'
import type { EventId } from './event-id.ts'
import { createMemoryEngine } from './memory-engine.ts'

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
