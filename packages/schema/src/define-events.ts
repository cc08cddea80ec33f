import type * as z4 from 'zod/v4/core'
import { HeraldError } from './errors.ts'
import { assertEventName } from './event-name.ts'
import { checkTopicMap } from './topic.ts'
import type { AnyEventMap, AnyTopicMap, EventSpec, Events, TextEvent } from './types.ts'

function isSchema(value: unknown): value is z4.$ZodType {
  return typeof value === 'object' && value !== null && '_zod' in value
}

/**
 * Declares an event whose `data:` field is plain text rather than JSON, as many existing
 * SSE servers write it (`data: 24`). Pair it with coercing schemas: `text(z.coerce.number())`.
 */
export function text<TSchema extends z4.$ZodType>(schema: TSchema): TextEvent<TSchema> {
  if (!isSchema(schema)) throw new HeraldError('INVALID_OPTIONS', 'text() expects a zod schema')
  return Object.freeze({ format: 'text', schema })
}

// Every spec defineEvents made, after its name passed assertEventName. The codec trusts a name
// only with its own checked spec: a contract copied, forged, or changed through
// `Map.prototype.set.call` gets its names checked again on every use.
const checkedSpecs = new WeakSet<EventSpec>()

/** True when `spec` was made by `defineEvents` under `name`, which was checked then. */
export function isCheckedSpec(spec: EventSpec, name: string): boolean {
  return checkedSpecs.has(spec) && spec.name === name
}

function readOnly(): TypeError {
  return new TypeError('the specs of a contract made by defineEvents() are read-only')
}

/** The contract's `specs`: still a Map (so `instanceof Map` holds), but set, delete and clear throw. */
class ReadonlySpecs extends Map<string, EventSpec> {
  constructor(entries: Iterable<readonly [string, EventSpec]>) {
    super()
    for (const [name, spec] of entries) super.set(name, spec)
    Object.freeze(this)
  }
  override set(): never {
    throw readOnly()
  }
  override delete(): never {
    throw readOnly()
  }
  override clear(): never {
    throw readOnly()
  }
}
Object.freeze(ReadonlySpecs.prototype)

function checkedSpec(spec: EventSpec): EventSpec {
  const frozen = Object.freeze(spec)
  checkedSpecs.add(frozen)
  return frozen
}

/** Options of `defineEvents`. */
export interface DefineEventsOptions<TTopics extends AnyTopicMap> {
  /**
   * The kinds of topic streams may join, each with the schema of its parameter:
   * `{ user: z.string(), room: z.int() }` declares `user:ada`, `room:42`… Without it the
   * contract has no topics and every event is a broadcast.
   */
  topics?: TTopics | undefined
}

/**
 * Declares a channel's events once, as a record of zod schemas, for the server and the client
 * to share, with the topics its events may be sent to. The contract is read-only: the object,
 * its map, names, specs and topics are frozen, and `specs` throws on set, delete and clear.
 * Throws `INVALID_EVENT_NAME` for a name SSE cannot frame and `INVALID_OPTIONS` for an entry
 * that is not a schema.
 */
export function defineEvents<TMap extends AnyEventMap, TTopics extends AnyTopicMap = Record<never, never>>(
  map: TMap,
  options: DefineEventsOptions<TTopics> = {},
): Events<TMap, TTopics> {
  if (typeof map !== 'object' || map === null || Array.isArray(map)) {
    throw new HeraldError('INVALID_OPTIONS', 'defineEvents() expects a record of zod schemas')
  }
  if (typeof options !== 'object' || options === null) {
    throw new HeraldError('INVALID_OPTIONS', 'defineEvents() options must be an object')
  }
  const topics = options.topics === undefined ? ({} as TTopics) : options.topics
  checkTopicMap(topics)
  const specs: [string, EventSpec][] = []
  for (const [name, definition] of Object.entries(map)) {
    assertEventName(name)
    if (isSchema(definition)) {
      specs.push([name, checkedSpec({ name, format: 'json', schema: definition })])
    } else if (typeof definition === 'object' && definition?.format === 'text' && isSchema(definition.schema)) {
      specs.push([name, checkedSpec({ name, format: 'text', schema: definition.schema })])
    } else {
      throw new HeraldError('INVALID_OPTIONS', `event '${name}': expected a zod schema or text(schema)`, {
        event: name,
      })
    }
  }
  return Object.freeze({
    map: Object.freeze({ ...map }),
    names: Object.freeze(specs.map(([name]) => name)),
    specs: new ReadonlySpecs(specs),
    topics: Object.freeze({ ...topics }),
  })
}
