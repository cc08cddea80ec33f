import { describe, expectTypeOf, it } from 'vitest'
import * as z from 'zod'
import * as zm from 'zod/mini'
import {
  type AnyEventOf,
  type AnyEvents,
  decodePayload,
  defineEvents,
  type EventMapOf,
  type EventName,
  encodePayload,
  type Payload,
  type SchemaOf,
  type TextEvent,
  type Topic,
  type TopicMapOf,
  text,
  type WirePayload,
} from './index.ts'

// Compile-time tests, checked by `tsc -p packages/schema/tsconfig.json`. Every call that runs
// is valid at run time too; calls that must not compile sit inside `typeOnly`, which never runs
// its body.

/** Type-checks `body` without running it. */
function typeOnly(_body: () => unknown): void {}

const isoDate = z.codec(z.iso.datetime(), z.date(), {
  decode: (value) => new Date(value),
  encode: (date) => date.toISOString(),
})

const events = defineEvents({
  name: z.string(),
  age: z.number(),
  count: text(z.coerce.number()),
  time: z.date(),
  at: isoDate,
  user: z.object({ name: z.string(), born: z.date().optional() }),
  ping: z.void(),
  mini: zm.object({ id: zm.bigint() }),
})
type E = typeof events

describe('defineEvents', () => {
  it('returns a contract that every helper accepts', () => {
    expectTypeOf(events).toExtend<AnyEvents>()
    expectTypeOf(defineEvents({ age: z.number() })).toExtend<AnyEvents>()
    expectTypeOf(defineEvents({ count: text(z.coerce.number()) })).toExtend<AnyEvents>()
  })

  it('keeps the event map and the literal names', () => {
    expectTypeOf(events.map.age).toEqualTypeOf<z.ZodNumber>()
    expectTypeOf(events.map.count).toEqualTypeOf<TextEvent<z.ZodCoercedNumber<unknown>>>()
    expectTypeOf<EventMapOf<E>>().toEqualTypeOf<E['map']>()
    // Names are plain strings at this level: a `keyof TMap` here made Events invariant in its map.
    expectTypeOf(events.names).toEqualTypeOf<readonly string[]>()
  })

  it('accepts only schemas and text() events', () => {
    typeOnly(() => {
      // @ts-expect-error a string is not a schema
      defineEvents({ age: 'number' })
      // @ts-expect-error text() needs a schema
      text(42)
    })
  })
})

describe('EventName', () => {
  it('is exactly the union of the keys', () => {
    expectTypeOf<EventName<E>>().toEqualTypeOf<'name' | 'age' | 'count' | 'time' | 'at' | 'user' | 'ping' | 'mini'>()
    expectTypeOf<EventName<typeof events>>().not.toEqualTypeOf<string>()
  })

  it('gives the common names of a union of contracts', () => {
    const other = defineEvents({ age: z.number(), extra: z.string() })
    expectTypeOf<EventName<E | typeof other>>().toEqualTypeOf<'age'>()
  })

  it('accepts a string in code generic over the contract', () => {
    typeOnly(() => <TEvents extends AnyEvents>(contract: TEvents) => {
      for (const name of contract.names) encodePayload(contract, name, undefined as never)
    })
  })
})

describe('Payload and WirePayload', () => {
  it('infers the output type of each schema', () => {
    expectTypeOf<Payload<E, 'name'>>().toEqualTypeOf<string>()
    expectTypeOf<Payload<E, 'age'>>().toEqualTypeOf<number>()
    expectTypeOf<Payload<E, 'time'>>().toEqualTypeOf<Date>()
    expectTypeOf<Payload<E, 'ping'>>().toEqualTypeOf<void>()
    expectTypeOf<Payload<E, 'user'>['born']>().toEqualTypeOf<Date | undefined>()
    expectTypeOf<Payload<E, 'mini'>>().toEqualTypeOf<{ id: bigint }>()
  })

  it('unwraps text() events', () => {
    expectTypeOf<SchemaOf<E['map']['count']>>().toEqualTypeOf<z.ZodCoercedNumber<unknown>>()
    expectTypeOf<Payload<E, 'count'>>().toEqualTypeOf<number>()
  })

  it('tells the wire form from the payload for a codec', () => {
    expectTypeOf<Payload<E, 'at'>>().toEqualTypeOf<Date>()
    expectTypeOf<WirePayload<E, 'at'>>().toEqualTypeOf<string>()
    expectTypeOf<WirePayload<E, 'at'>>().not.toEqualTypeOf<Payload<E, 'at'>>()
    expectTypeOf<WirePayload<E, 'age'>>().toEqualTypeOf<Payload<E, 'age'>>()
  })

  it('rejects a name outside the map', () => {
    // @ts-expect-error 'agee' is not an event
    expectTypeOf<Payload<E, 'agee'>>().not.toBeAny()
    // @ts-expect-error 'agee' is not an event
    expectTypeOf<WirePayload<E, 'agee'>>().not.toBeAny()
  })
})

describe('encodePayload and decodePayload', () => {
  it('take the payload type and return the wire string or the payload', () => {
    expectTypeOf(encodePayload(events, 'age', 24)).toEqualTypeOf<string>()
    expectTypeOf(encodePayload(events, 'at', new Date(0))).toEqualTypeOf<string>()
    expectTypeOf(decodePayload(events, 'time', '"2024-01-01T00:00:00.000Z"')).toEqualTypeOf<Date>()
    expectTypeOf(decodePayload(events, 'count', '24')).toEqualTypeOf<number>()
    expectTypeOf(decodePayload(events, 'mini', '{"id":"1"}')).toEqualTypeOf<{ id: bigint }>()
  })

  it('reject unknown names and wrong payloads', () => {
    typeOnly(() => {
      // @ts-expect-error 'agee' is not an event
      encodePayload(events, 'agee', 1)
      // @ts-expect-error age takes a number, not a string
      encodePayload(events, 'age', '24')
      // @ts-expect-error a codec event takes the Date, not its wire string
      encodePayload(events, 'at', '2024-01-01T00:00:00.000Z')
      // @ts-expect-error the payload is required
      encodePayload(events, 'age')
      // @ts-expect-error 'agee' is not an event
      decodePayload(events, 'agee', '1')
      // @ts-expect-error data is the raw string
      decodePayload(events, 'age', 24)
    })
  })
})

describe('AnyEventOf', () => {
  it('is a union of name and payload pairs', () => {
    const small = defineEvents({ name: z.string(), age: z.number(), time: z.date() })
    expectTypeOf<AnyEventOf<typeof small>>().toEqualTypeOf<
      | { readonly name: 'name'; readonly payload: string }
      | { readonly name: 'age'; readonly payload: number }
      | { readonly name: 'time'; readonly payload: Date }
    >()
  })

  it('narrows the payload by name', () => {
    typeOnly(() => (event: AnyEventOf<E>) => {
      if (event.name === 'time') expectTypeOf(event.payload).toEqualTypeOf<Date>()
      if (event.name === 'count') expectTypeOf(event.payload).toEqualTypeOf<number>()
      // @ts-expect-error 'agee' is not an event
      if (event.name === 'agee') return
    })
  })
})

describe('no any leaks', () => {
  it('keeps every inferred type free of any', () => {
    expectTypeOf(events).not.toBeAny()
    expectTypeOf(events.map).not.toBeAny()
    expectTypeOf(events.names).not.toBeAny()
    expectTypeOf<EventName<E>>().not.toBeAny()
    expectTypeOf<AnyEventOf<E>>().not.toBeAny()
    expectTypeOf<Payload<E, 'name'>>().not.toBeAny()
    expectTypeOf<Payload<E, 'count'>>().not.toBeAny()
    expectTypeOf<WirePayload<E, 'count'>>().not.toBeAny()
    expectTypeOf<WirePayload<E, 'count'>>().toBeUnknown()
    expectTypeOf(decodePayload(events, 'user', '{"name":"Ada"}')).not.toBeAny()
    expectTypeOf(text(z.string())).not.toBeAny()
  })

  it('widens to unknown, not any, for a contract with no known names', () => {
    expectTypeOf<EventName<AnyEvents>>().toEqualTypeOf<string>()
    expectTypeOf<Payload<AnyEvents, string>>().toBeUnknown()
    expectTypeOf<WirePayload<AnyEvents, string>>().toBeUnknown()
  })
})

describe('Topic', () => {
  const topical = defineEvents(
    { message: z.object({ text: z.string() }), notice: z.string() },
    { topics: { user: z.string(), room: z.int() } },
  )
  type T = typeof topical

  it('is the template of each declared kind and its parameter type', () => {
    expectTypeOf<Topic<T>>().toEqualTypeOf<`user:${string}` | `room:${number}`>()
    expectTypeOf<'room:42'>().toExtend<Topic<T>>()
    expectTypeOf<'user:ada'>().toExtend<Topic<T>>()
    expectTypeOf<'room:abc'>().not.toExtend<Topic<T>>()
    expectTypeOf<'chat:1'>().not.toExtend<Topic<T>>()
    expectTypeOf<'room'>().not.toExtend<Topic<T>>()
    expectTypeOf<Topic<T>>().not.toBeAny()
  })

  it('reads the output of refined, transformed and zod/mini schemas', () => {
    const refined = defineEvents(
      { notice: z.string() },
      {
        topics: {
          user: z.string().regex(/^[a-z]+$/),
          room: z.int().positive(),
          lower: z.string().transform((s) => s.toLowerCase()),
          mini: zm.number(),
        },
      },
    )
    expectTypeOf<Topic<typeof refined>>().toEqualTypeOf<
      `user:${string}` | `room:${number}` | `lower:${string}` | `mini:${number}`
    >()
  })

  it('is never for a contract without topics', () => {
    expectTypeOf<Topic<E>>().toBeNever()
    expectTypeOf<Topic<ReturnType<typeof defineEvents<{ age: z.ZodNumber }>>>>().toBeNever()
    expectTypeOf(events.topics).toEqualTypeOf<TopicMapOf<E>>()
    expectTypeOf<keyof TopicMapOf<E>>().toBeNever()
  })

  it('keeps the topic map on the contract', () => {
    expectTypeOf(topical.topics.room).toEqualTypeOf<z.ZodInt>()
    expectTypeOf<TopicMapOf<T>>().toEqualTypeOf<{ user: z.ZodString; room: z.ZodInt }>()
  })

  it('leaves event names and payloads as they were', () => {
    expectTypeOf<EventName<T>>().toEqualTypeOf<'message' | 'notice'>()
    expectTypeOf<Payload<T, 'message'>>().toEqualTypeOf<{ text: string }>()
    expectTypeOf<Payload<T, 'notice'>>().toEqualTypeOf<string>()
    expectTypeOf<EventMapOf<T>>().toEqualTypeOf<T['map']>()
    expectTypeOf(encodePayload(topical, 'notice', 'hi')).toEqualTypeOf<string>()
    expectTypeOf(decodePayload(topical, 'message', '{"text":"hi"}')).toEqualTypeOf<{ text: string }>()
    typeOnly(() => {
      // @ts-expect-error 'room' is a topic kind, not an event
      encodePayload(topical, 'room', 1)
    })
  })

  it('is a contract every helper accepts', () => {
    expectTypeOf(topical).toExtend<AnyEvents>()
    typeOnly(() => {
      const takesAny = (_contract: AnyEvents) => {}
      takesAny(topical)
      takesAny(events)
    })
  })

  it('takes only string or number schemas as parameters', () => {
    typeOnly(() => {
      // @ts-expect-error a topic parameter is a string or a number, not an object
      defineEvents({ notice: z.string() }, { topics: { room: z.object({}) } })
      // @ts-expect-error a Date is neither a string nor a number
      defineEvents({ notice: z.string() }, { topics: { day: z.date() } })
      // @ts-expect-error a topic kind needs a schema
      defineEvents({ notice: z.string() }, { topics: { room: 'int' } })
      // @ts-expect-error the topics option is a record, not an array
      defineEvents({ notice: z.string() }, { topics: [z.string()] })
    })
  })
})
