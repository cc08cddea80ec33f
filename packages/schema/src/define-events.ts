import type * as z4 from 'zod/v4/core'
import { HeraldError } from './errors.ts'
import { assertEventName } from './event-name.ts'
import type { AnyEventMap, EventSpec, Events, TextEvent } from './types.ts'

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

/**
 * Declares a channel's events once, as a record of zod schemas, for the server and the client
 * to share. Throws `INVALID_EVENT_NAME` for a name SSE cannot frame and `INVALID_OPTIONS` for
 * an entry that is not a schema.
 */
export function defineEvents<TMap extends AnyEventMap>(map: TMap): Events<TMap> {
  if (typeof map !== 'object' || map === null || Array.isArray(map)) {
    throw new HeraldError('INVALID_OPTIONS', 'defineEvents() expects a record of zod schemas')
  }
  const specs = new Map<string, EventSpec>()
  for (const [name, definition] of Object.entries(map)) {
    assertEventName(name)
    if (isSchema(definition)) {
      specs.set(name, Object.freeze({ name, format: 'json', schema: definition }))
    } else if (typeof definition === 'object' && definition?.format === 'text' && isSchema(definition.schema)) {
      specs.set(name, Object.freeze({ name, format: 'text', schema: definition.schema }))
    } else {
      throw new HeraldError('INVALID_OPTIONS', `event '${name}': expected a zod schema or text(schema)`, {
        event: name,
      })
    }
  }
  return Object.freeze({
    map: Object.freeze({ ...map }),
    names: Object.freeze([...specs.keys()]),
    specs,
  })
}
