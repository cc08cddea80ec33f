import type * as z4 from 'zod/v4/core'

/** How an event's payload is written in the `data:` field. */
export type WireFormat = 'json' | 'text'

/** An event whose `data:` field is plain text, made by `text(schema)`. */
export interface TextEvent<TSchema extends z4.$ZodType = z4.$ZodType> {
  readonly format: 'text'
  readonly schema: TSchema
}

/** One entry of an event map: a zod schema (JSON on the wire) or a `text(schema)` event. */
export type EventDefinition = z4.$ZodType | TextEvent

/** Any record of event definitions, keyed by event name. */
export type AnyEventMap = Readonly<Record<string, EventDefinition>>

/** The schema of one event definition. */
export type SchemaOf<TDefinition> = TDefinition extends TextEvent<infer $Schema> ? $Schema : TDefinition

/** An event definition as Herald uses it at run time. */
export interface EventSpec {
  readonly name: string
  readonly format: WireFormat
  readonly schema: z4.$ZodType
}

/**
 * The kinds of topic a contract declares, each with the schema of its parameter: `{ room: z.int() }`
 * declares the topics `room:1`, `room:2`… A parameter is written as text; a schema of numbers
 * reads it as a number.
 */
export type AnyTopicMap = Readonly<Record<string, z4.$ZodType<string | number>>>

/** The shared contract made by `defineEvents`: import it on both server and client. */
export interface Events<TMap extends AnyEventMap = AnyEventMap, TTopics extends AnyTopicMap = Record<never, never>> {
  /** The event map as it was defined, frozen. */
  readonly map: TMap
  /** Every event name, in the map's key order. */
  readonly names: readonly string[]
  /** Each event's name, format and schema. */
  readonly specs: ReadonlyMap<string, EventSpec>
  /** The topic kinds and their parameter schemas, frozen; empty when the contract declares none. */
  readonly topics: TTopics
}

/** Any contract made by `defineEvents`. */
export type AnyEvents = Events<AnyEventMap, AnyTopicMap>

/** The event map behind a contract. */
export type EventMapOf<TEvents extends AnyEvents> = TEvents extends Events<infer $Map, AnyTopicMap> ? $Map : never

/** The topic map behind a contract. */
export type TopicMapOf<TEvents extends AnyEvents> = TEvents extends Events<AnyEventMap, infer $Topics> ? $Topics : never

/**
 * The topics of a contract: for `{ user: z.string(), room: z.int() }`, `` `user:${string}` |
 * `room:${number}` ``; `never` for a contract without topics.
 */
export type Topic<TEvents extends AnyEvents> = {
  [TKind in keyof TopicMapOf<TEvents> & string]: `${TKind}:${z4.output<TopicMapOf<TEvents>[TKind]> & (string | number)}`
}[keyof TopicMapOf<TEvents> & string]

/**
 * The names of a contract's events: `EventName<typeof events>` is `'name' | 'age'`.
 * Written as an always-true conditional on purpose: for a known contract TypeScript resolves
 * it and prints the union instead of this alias, so a typo reads `'"agee"' is not assignable
 * to parameter of type '"age" | "name"'`. Both branches accept a `string`, so generic code over
 * `AnyEvents` can still pass one; the tuple stops it distributing over a union of contracts.
 */
export type EventName<TEvents extends AnyEvents> = [TEvents] extends [AnyEvents]
  ? keyof EventMapOf<TEvents> & string
  : string

/** What `emit` takes and listeners receive for one event: the schema's output type. */
export type Payload<TEvents extends AnyEvents, TName extends EventName<TEvents>> = z4.output<
  SchemaOf<EventMapOf<TEvents>[TName]>
>

/** The payload as it is before decoding on the client (the schema's input type). */
export type WirePayload<TEvents extends AnyEvents, TName extends EventName<TEvents>> = z4.input<
  SchemaOf<EventMapOf<TEvents>[TName]>
>

/** Every event of a contract as a `{ name, payload }` union, handy for logs and reducers. */
export type AnyEventOf<TEvents extends AnyEvents> = {
  [TName in EventName<TEvents>]: { readonly name: TName; readonly payload: Payload<TEvents, TName> }
}[EventName<TEvents>]
