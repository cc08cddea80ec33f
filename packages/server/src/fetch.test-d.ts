import { defineEvents } from '@herald/schema'
import { expectTypeOf } from 'vitest'
import * as z from 'zod'
import { createChannel } from './channel.ts'
import { type FetchStreamContext, type FetchStreamHandler, sse } from './fetch.ts'
import type { TicketClaims } from './tickets.ts'

const events = defineEvents({ age: z.number().int() }, { topics: { user: z.string(), room: z.int().positive() } })
const channel = createChannel(events)
interface User {
  readonly id: string
}

// `state` is typed from the annotation, and reaches topics and authorize.
const handler = sse(channel, {
  topics: (context: FetchStreamContext<User>) => {
    expectTypeOf(context.state).toEqualTypeOf<User>()
    expectTypeOf(context.request).toEqualTypeOf<Request>()
    expectTypeOf(context.ticket).toEqualTypeOf<TicketClaims | undefined>()
    return [`user:${context.state.id}`]
  },
  authorize: (context, topic) => {
    expectTypeOf(context).toEqualTypeOf<FetchStreamContext<User>>()
    expectTypeOf(topic).toEqualTypeOf<`user:${string}` | `room:${number}`>()
    return topic === `user:${context.state.id}`
  },
})
expectTypeOf(handler).toEqualTypeOf<FetchStreamHandler<User>>()
expectTypeOf(handler(new Request('http://x/events'), { state: { id: 'ann' } })).toEqualTypeOf<Promise<Response>>()
// @ts-expect-error state must be a User
void handler(new Request('http://x/events'), { state: { name: 'ann' } })
// @ts-expect-error a handler whose topics read the state must be given it
void handler(new Request('http://x/events'))
// @ts-expect-error ...in its init too
void handler(new Request('http://x/events'), { address: '127.0.0.1' })

// Without state, the handler is called with the request alone.
const plain = sse(channel)
expectTypeOf(plain).parameter(0).toEqualTypeOf<Request>()
expectTypeOf(plain(new Request('http://x/events'))).toEqualTypeOf<Promise<Response>>()
// Exported as it is, it fits a Next.js route handler: Next passes its route context second.
const GET: (request: Request, context: { params: Promise<{ slug: string }> }) => Promise<Response> = plain
void GET
sse(channel, {
  topics: (context) => {
    expectTypeOf(context.state).toEqualTypeOf<undefined>()
    return ['room:1']
  },
})

// @ts-expect-error 'team' is not a topic of the contract
sse(channel, { topics: () => ['team:1'] })
// @ts-expect-error a room is a positive integer, not a string
sse(channel, { topics: () => ['room:lobby'] })
sse(channel, { authorize: (_context, topic) => topic !== 'room:1' })
// @ts-expect-error authorize answers with a boolean
sse(channel, { authorize: () => 'yes' })
// @ts-expect-error onError is given the error and the request
sse(channel, { onError: (_error: unknown, _request: string) => {} })
