import * as z4 from 'zod/v4/core'
import { isCheckedSpec } from './define-events.ts'
import { describeIssues, HeraldError } from './errors.ts'
import { assertEventName } from './event-name.ts'
import { jsonReplacer, revive } from './revive.ts'
import { isSymmetric, needsReplacer, needsRevive } from './schema-facts.ts'
import type { AnyEvents, EventName, EventSpec, Payload } from './types.ts'

function specOf(events: AnyEvents, name: string): EventSpec {
  const spec = events.specs.get(name)
  if (spec === undefined) {
    throw new HeraldError('UNKNOWN_EVENT', `event '${String(name).slice(0, 40)}': not in the event map`, {
      event: String(name),
    })
  }
  // The server writes `name` as the `event:` field: a name defineEvents did not check under this
  // very spec (a forged or altered contract) is checked here, so a line break never reaches the wire.
  if (!isCheckedSpec(spec, name)) assertEventName(name)
  return spec
}

function schemaError(code: 'INVALID_PAYLOAD' | 'DECODE_FAILED', name: string, cause: unknown): HeraldError {
  if (cause instanceof z4.$ZodError) {
    return new HeraldError(code, `event '${name}': ${describeIssues(cause.issues)}`, {
      event: name,
      issues: cause.issues,
      cause,
    })
  }
  const reason = cause instanceof Error ? cause.message : String(cause)
  return new HeraldError(code, `event '${name}': ${reason}`, { event: name, cause })
}

/**
 * Validates a payload against its event's schema and encodes it as the `data:` field text.
 * Runs the schema's encode direction, so codecs turn rich values into their wire form.
 * Throws `UNKNOWN_EVENT` or `INVALID_PAYLOAD`, and `INVALID_EVENT_NAME` for a name a hand-made
 * or altered contract holds that SSE cannot frame.
 */
export function encodePayload<TEvents extends AnyEvents, TName extends EventName<TEvents>>(
  events: TEvents,
  name: TName,
  payload: Payload<TEvents, TName>,
): string {
  const spec = specOf(events, name)
  let wire: unknown
  try {
    // Most schemas have no transform: parsing validates as encoding would, at a tenth of the cost.
    const result = isSymmetric(spec.schema)
      ? z4.safeParse(spec.schema, payload)
      : z4.safeEncode(spec.schema, payload as never)
    if (!result.success) throw result.error
    wire = result.data
  } catch (error) {
    throw schemaError('INVALID_PAYLOAD', name, error)
  }
  if (spec.format === 'text') return textData(name, spec.schema, wire)
  if (wire === undefined) return ''
  let json: string | undefined
  try {
    // A replacer takes JSON.stringify off its fast path: pass one only when the schema needs it.
    json = JSON.stringify(wire, needsReplacer(spec.schema) ? jsonReplacer : undefined)
  } catch (error) {
    throw schemaError('INVALID_PAYLOAD', name, error)
  }
  // JSON.stringify returns undefined for a symbol or a function.
  if (json === undefined) throw schemaError('INVALID_PAYLOAD', name, new Error(`JSON cannot carry a ${typeof wire}`))
  return json
}

function textData(name: string, schema: z4.$ZodType, wire: unknown): string {
  if (wire instanceof Date) {
    // As ISO 8601, when the schema reads that back (z.coerce.date() does, z.date() does not).
    const iso = wire.toISOString()
    if (z4.safeParse(schema, iso).success) return iso
    throw new HeraldError(
      'INVALID_PAYLOAD',
      `event '${name}': a text event's Date must be read back from text: use text(z.coerce.date())`,
      { event: name },
    )
  }
  const data =
    typeof wire === 'string'
      ? wire
      : typeof wire === 'number' || typeof wire === 'bigint' || typeof wire === 'boolean'
        ? String(wire)
        : undefined
  if (data === undefined) {
    throw new HeraldError(
      'INVALID_PAYLOAD',
      `event '${name}': a text event must encode to a string, got ${typeof wire}`,
      {
        event: name,
      },
    )
  }
  // SSE reads CR, LF and CRLF alike as line breaks, so a CR could never arrive intact.
  if (data.includes('\r')) {
    throw new HeraldError('INVALID_PAYLOAD', `event '${name}': a text event cannot carry CR; declare it as JSON`, {
      event: name,
    })
  }
  // UTF-8 cannot encode a lone surrogate; it would arrive as U+FFFD.
  if (!data.isWellFormed()) {
    throw new HeraldError('INVALID_PAYLOAD', `event '${name}': a text event cannot carry a lone surrogate`, {
      event: name,
    })
  }
  return data
}

/**
 * Decodes a received `data:` field and validates it with its event's schema, returning the
 * value listeners receive. Costs time linear in the payload, whatever the schema. Throws
 * `UNKNOWN_EVENT` or `DECODE_FAILED` (and `INVALID_EVENT_NAME`, as `encodePayload` does).
 */
export function decodePayload<TEvents extends AnyEvents, TName extends EventName<TEvents>>(
  events: TEvents,
  name: TName,
  data: string,
): Payload<TEvents, TName> {
  const spec = specOf(events, name)
  let value: unknown = data
  if (spec.format === 'json') {
    try {
      value = data === '' ? undefined : JSON.parse(data)
    } catch (error) {
      throw schemaError('DECODE_FAILED', name, new Error(`invalid JSON (${(error as Error).message})`))
    }
  }
  try {
    // revive costs O(payload) and no call stack per level: zod's decode is what bounds the depth,
    // and absurdly deep input ends in its RangeError, reported below.
    if (spec.format === 'json' && needsRevive(spec.schema)) value = revive(spec.schema, value)
    const result = z4.safeDecode(spec.schema, value as never)
    if (!result.success) throw result.error
    return result.data as Payload<TEvents, TName>
  } catch (error) {
    throw schemaError('DECODE_FAILED', name, error)
  }
}
