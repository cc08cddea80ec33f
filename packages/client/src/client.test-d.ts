import { defineEvents, text } from '@herald/schema'
import { expectTypeOf } from 'vitest'
import * as z from 'zod'
import {
  type ClientOptions,
  type ConnectionState,
  createClient,
  type EventMeta,
  type HeraldClient,
  type HeraldError,
  type Listener,
  type Topic,
} from './index.ts'

// Compile-time tests, checked by `tsc -p packages/client/tsconfig.json`. Nothing here connects:
// every client is made inside `typeOnly`, which never runs its body.

/** Type-checks `body` without running it. */
function typeOnly(_body: () => unknown): void {}

const isoDate = z.codec(z.iso.datetime(), z.date(), {
  decode: (iso) => new Date(iso),
  encode: (date) => date.toISOString(),
})

const events = defineEvents({
  name: z.string(),
  age: z.number().int(),
  time: z.date(),
  at: isoDate,
  balance: z.bigint(),
  scores: z.map(z.string(), z.number()),
  user: z.object({ name: z.string(), born: z.date().optional() }),
  count: text(z.coerce.number()),
})
type E = typeof events

typeOnly(() => {
  const client = createClient(events, 'http://127.0.0.1:1/events')
  expectTypeOf(client).toEqualTypeOf<HeraldClient<E>>()
  expectTypeOf(client.events).toEqualTypeOf<E>()

  // Listener parameters are inferred from the schemas' output types.
  client.on('name', (name) => expectTypeOf(name).toEqualTypeOf<string>())
  client.on('age', (age) => {
    expectTypeOf(age).toEqualTypeOf<number>()
    expectTypeOf(age).not.toBeAny()
  })
  client.on('time', (time) => expectTypeOf(time).toEqualTypeOf<Date>())
  client.on('at', (at) => expectTypeOf(at).toEqualTypeOf<Date>())
  client.on('balance', (balance) => expectTypeOf(balance).toEqualTypeOf<bigint>())
  client.on('scores', (scores) => expectTypeOf(scores).toEqualTypeOf<Map<string, number>>())
  client.on('user', (user) => expectTypeOf(user).toEqualTypeOf<{ name: string; born?: Date | undefined }>())
  client.on('count', (count) => expectTypeOf(count).toEqualTypeOf<number>())
  client.once('time', (time) => expectTypeOf(time).toEqualTypeOf<Date>())

  // The meta names the event as a literal.
  client.on('age', (_age, meta) => {
    expectTypeOf(meta).toEqualTypeOf<EventMeta<'age'>>()
    expectTypeOf(meta.name).toEqualTypeOf<'age'>()
    expectTypeOf(meta.lastEventId).toEqualTypeOf<string>()
  })

  // on and once return the remover; off takes the same listener back.
  expectTypeOf(client.on('age', () => {})).toEqualTypeOf<() => void>()
  expectTypeOf(client.once('age', () => {})).toEqualTypeOf<() => void>()
  const onAge: Listener<E, 'age'> = (age) => expectTypeOf(age).toEqualTypeOf<number>()
  client.off('age', onAge)
  // A listener that accepts more than the payload is fine.
  client.on('age', (_age: number | string) => {})

  // stream() yields the payload type.
  expectTypeOf(client.stream('age')).toEqualTypeOf<AsyncIterableIterator<number>>()
  expectTypeOf(client.stream('time', { signal: AbortSignal.timeout(1) })).toEqualTypeOf<AsyncIterableIterator<Date>>()

  // @ts-expect-error 'agee' is not an event
  client.on('agee', () => {})
  // @ts-expect-error 'agee' is not an event
  client.once('agee', () => {})
  // @ts-expect-error 'agee' is not an event
  client.off('agee', () => {})
  // @ts-expect-error 'agee' is not an event
  client.stream('agee')
  // @ts-expect-error the name must be a literal of the map, not any string
  client.on('na' + 'me', () => {})
  // @ts-expect-error age is a number, not a string
  client.on('age', (_age: string) => {})
  // @ts-expect-error time arrives as a Date, not its wire form
  client.on('time', (_time: string) => {})
  // @ts-expect-error a listener for 'name' cannot be removed from 'age'
  client.off('age', (_name: string) => {})
  // @ts-expect-error the meta of 'age' does not name 'name'
  client.on('age', (_age, _meta: EventMeta<'name'>) => {})
})

typeOnly(() => {
  const client = createClient(events, new URL('http://127.0.0.1:1/events'), { lastEventId: '1-0' })

  // Lifecycle hooks live apart from event names.
  client.onOpen(() => {})
  client.onError((error) => {
    expectTypeOf(error).toEqualTypeOf<HeraldError>()
    expectTypeOf(error.code).not.toBeAny()
  })
  client.onState((state) => expectTypeOf(state).toEqualTypeOf<ConnectionState>())
  expectTypeOf(client.onError(() => {})).toEqualTypeOf<() => void>()
  expectTypeOf(client.state).toEqualTypeOf<ConnectionState>()
  expectTypeOf(client.lastEventId).toEqualTypeOf<string>()

  // @ts-expect-error hooks take no event name
  client.onError('age', () => {})
  // @ts-expect-error onOpen's hook gets no argument
  client.onOpen((_event: Event) => {})
  // @ts-expect-error 'open' is a hook, not an event of this contract
  client.on('open', () => {})
  // @ts-expect-error 'error' is a hook, not an event of this contract
  client.on('error', () => {})
})

expectTypeOf<ConnectionState>().toEqualTypeOf<'connecting' | 'open' | 'reconnecting' | 'closed'>()
expectTypeOf<Listener<E, 'count'>>().toEqualTypeOf<(payload: number, meta: EventMeta<'count'>) => void>()

typeOnly(() => {
  // @ts-expect-error the contract must come from defineEvents
  createClient({ age: z.number() }, 'http://127.0.0.1:1/events')
  // @ts-expect-error lastEventId is a string
  createClient(events, 'http://127.0.0.1:1/events', { lastEventId: 5 })
  // A contract with a 'message' event takes unnamed messages.
  const clock = createClient(defineEvents({ message: text(z.coerce.date()) }), 'http://127.0.0.1:1/')
  clock.on('message', (time, meta) => {
    expectTypeOf(time).toEqualTypeOf<Date>()
    expectTypeOf(meta.name).toEqualTypeOf<'message'>()
  })
})

// Topics: typed by the contract's topic kinds and their parameters.
const chat = defineEvents(
  { message: z.object({ text: z.string() }) },
  { topics: { user: z.string().regex(/^[a-z0-9]+$/), room: z.int().positive() } },
)
type Chat = typeof chat

typeOnly(() => {
  const client = createClient(chat, '/events', { topics: ['room:42', 'user:ann'], ticket: async () => 't' })
  expectTypeOf(client).toEqualTypeOf<HeraldClient<Chat>>()
  expectTypeOf(client.topics).toEqualTypeOf<readonly Topic<Chat>[]>()
  expectTypeOf<Topic<Chat>>().toEqualTypeOf<`user:${string}` | `room:${number}`>()
  client.subscribe('room:43')
  client.unsubscribe('user:bob')
  expectTypeOf(client.subscribe).returns.toEqualTypeOf<void>()
  const options: ClientOptions<Chat> = { topics: ['room:1'], ticket: () => 'ticket' }
  createClient(chat, '/events', options)
  // Options without topics fit any contract.
  const plain: ClientOptions = { withCredentials: true }
  createClient(chat, '/events', plain)
  const ticketOnly: ClientOptions = { ticket: () => 't' }
  createClient(chat, '/events', ticketOnly)

  // @ts-expect-error 'rooom' is not a topic kind
  createClient(chat, '/events', { topics: ['rooom:1'] })
  // @ts-expect-error a room's parameter is a number
  createClient(chat, '/events', { topics: ['room:abc'] })
  // @ts-expect-error a topic names its kind
  createClient(chat, '/events', { topics: ['42'] })
  // @ts-expect-error any string is not a topic
  createClient(chat, '/events', { topics: ['room' as string] })
  // @ts-expect-error 'rooom' is not a topic kind
  client.subscribe('rooom:1')
  // @ts-expect-error a room's parameter is a number
  client.unsubscribe('room:abc')
  // @ts-expect-error the ticket function returns a string
  createClient(chat, '/events', { ticket: () => 42 })
  // @ts-expect-error the ticket option is a function, not a ticket
  createClient(chat, '/events', { ticket: 'ticket' })
  // The ticket function is given the topics the connection asks for, typed by the contract.
  createClient(chat, '/events', {
    topics: ['room:1'],
    ticket: (topics) => {
      expectTypeOf(topics).toEqualTypeOf<readonly Topic<Chat>[]>()
      return topics.join(',')
    },
  })
  createClient(chat, '/events', { ticket: async (topics: readonly string[]) => topics.join(',') })
  // @ts-expect-error topics are strings, not numbers
  createClient(chat, '/events', { ticket: (topics: readonly number[]) => String(topics) })
  // @ts-expect-error the function is given a list of topics, not one topic
  createClient(chat, '/events', { ticket: (topic: Topic<Chat>) => topic })
  // @ts-expect-error options typed for another contract do not fit
  createClient(events, '/events', options)
})

typeOnly(() => {
  // A contract without topics takes none.
  const client = createClient(events, '/events')
  expectTypeOf(client.topics).toEqualTypeOf<readonly never[]>()
  // @ts-expect-error this contract declares no topics
  client.subscribe('room:1')
  // @ts-expect-error this contract declares no topics
  createClient(events, '/events', { topics: ['room:1'] })
})
