import * as z4 from 'zod/v4/core'
import { HeraldError } from './errors.ts'
import { defOf } from './schema-facts.ts'
import type { AnyEvents, EventSpec } from './types.ts'

// The JSON Schema (draft-07) of a payload as it travels in the `data:` field, from zod's
// `toJSONSchema`. Which side: the server runs the schema's encode direction, so what travels is
// what decode takes in, the schema's *input* side (`io: 'input'`): a codec's wire schema, a
// pipe's input, a default's field optional. Then JSON flattens what JSON lacks, as
// `jsonReplacer` writes it: a Date as an ISO string, a bigint as a decimal string, a Map as an
// array of [key, value] pairs, a Set as an array. A `text()` event travels as its value's text.
// Nothing here is imported by the codec, so a browser bundle leaves zod's converter out.

/** A JSON value. */
export type JsonValue = string | number | boolean | null | readonly JsonValue[] | { readonly [key: string]: JsonValue }

/** A JSON Schema (draft-07) document, or one schema inside one. */
export type JsonSchema = { readonly [key: string]: JsonValue }

type Mutable = Record<string, unknown>

/** The text of a JavaScript number, as `String(n)` writes it (`24`, `-1.5`, `1e+21`). */
export const NUMBER_TEXT = '^-?\\d+(\\.\\d+)?(e[+-]\\d+)?$'
/** The text of a bigint, as `String(n)` writes it. */
export const BIGINT_TEXT = '^-?(0|[1-9]\\d*)$'

const cache = new WeakMap<EventSpec, JsonSchema>()

/**
 * The JSON Schema (draft-07) of event `name`'s payload as it travels in the `data:` field: the
 * schema's input side (a codec's wire type), Dates as `date-time` strings, bigints as decimal
 * strings, Maps as arrays of pairs, Sets as arrays; a `text()` event's as a string. Object keys
 * are sorted, so the result is the same whatever the key order of the schema; recursion refers
 * to `#` or `#/definitions/…` inside it. Types zod cannot describe (a `z.custom` without a codec)
 * are `{}`. Computed once per event, frozen. Throws `UNKNOWN_EVENT` for a name not in the contract.
 */
export function wireSchemaOf(events: AnyEvents, name: string): JsonSchema {
  const spec = events.specs.get(name)
  if (spec === undefined || spec.name !== name) {
    throw new HeraldError('UNKNOWN_EVENT', `event '${String(name).slice(0, 40)}': not in the event map`, {
      event: String(name),
    })
  }
  const known = cache.get(spec)
  if (known !== undefined) return known
  const json = jsonSchemaOf(spec.schema)
  const result = deepFreeze(spec.format === 'text' ? asText(json) : json)
  cache.set(spec, result)
  return result
}

/** The JSON Schema of `schema`'s wire side (see `wireSchemaOf`), keys sorted; not frozen. */
export function jsonSchemaOf(schema: z4.$ZodType): JsonSchema {
  return canonical(convert(schema, { visiting: new Set(), definitions: {}, nested: 0 })) as JsonSchema
}

/**
 * The schema of a value written as text (a `text()` event's data, a topic's parameter): strings
 * as they are, literals and enums as their text, numbers by pattern, booleans as `true`/`false`.
 */
export function asText(json: JsonSchema): JsonSchema {
  const { type, const: constant, enum: values, ...rest } = json
  const notes = pick(rest, ['description', 'title'])
  if (constant !== undefined) return { ...notes, const: String(constant), type: 'string' }
  if (Array.isArray(values)) return { ...notes, enum: values.map(String), type: 'string' }
  if (type === 'string') return json
  if (type === 'number' || type === 'integer') return { ...notes, pattern: NUMBER_TEXT, type: 'string' }
  if (type === 'boolean') return { ...notes, enum: ['true', 'false'], type: 'string' }
  return { ...notes, type: 'string' }
}

function pick(json: JsonSchema, keys: readonly string[]): JsonSchema {
  return Object.fromEntries(keys.filter((key) => json[key] !== undefined).map((key) => [key, json[key] as JsonValue]))
}

/** One conversion: the Maps and Sets being converted, and the definitions nested ones brought. */
interface State {
  readonly visiting: Set<z4.$ZodType>
  readonly definitions: Mutable
  nested: number
}

function convert(schema: z4.$ZodType, state: State): Mutable {
  // `override` and `unrepresentable: 'any'`, not an unrepresentable handler: they work with every
  // zod ^4.1, where a handler function would be read as 'any' and leave dates as `{}`.
  const json = z4.toJSONSchema(schema, {
    target: 'draft-07',
    io: 'input',
    unrepresentable: 'any',
    cycles: 'ref',
    override: ({ zodSchema, jsonSchema }) => {
      const wire = flattened(zodSchema as z4.$ZodType, state)
      if (wire !== undefined) Object.assign(jsonSchema, wire)
    },
  }) as Mutable
  delete json['$schema']
  if (Object.keys(state.definitions).length > 0) {
    json['definitions'] = { ...(json['definitions'] as Mutable | undefined), ...state.definitions }
  }
  return json
}

/** How JSON carries a Date, bigint, Map or Set (see `jsonReplacer`); `undefined` for other types. */
function flattened(schema: z4.$ZodType, state: State): Mutable | undefined {
  const def = defOf(schema)
  if (def.type === 'date') return { type: 'string', format: 'date-time' }
  if (def.type === 'bigint') return { type: 'string', pattern: BIGINT_TEXT }
  if (def.type === 'set') return { type: 'array', items: nested(def['valueType'] as z4.$ZodType, state) }
  if (def.type !== 'map') return undefined
  const pair = [nested(def['keyType'] as z4.$ZodType, state), nested(def['valueType'] as z4.$ZodType, state)]
  return { type: 'array', items: { type: 'array', items: pair, minItems: 2, maxItems: 2, additionalItems: false } }
}

/**
 * The schema of a Map's key or value, or a Set's value: zod does not walk into them, so they are
 * converted on their own, their definitions renamed into the outer document's. A Map or Set met
 * again inside itself (recursion) is described as any value there.
 */
function nested(schema: z4.$ZodType, state: State): Mutable {
  if (state.visiting.has(schema)) return {}
  state.visiting.add(schema)
  const prefix = `nested${state.nested++}_`
  const inner: State = { visiting: state.visiting, definitions: {}, nested: 0 }
  const json = convert(schema, inner)
  state.visiting.delete(schema)
  const { definitions, ...root } = json
  const rename = (ref: string): string =>
    ref === '#' ? `#/definitions/${prefix}root` : ref.replace('#/definitions/', `#/definitions/${prefix}`)
  for (const [key, value] of Object.entries((definitions ?? {}) as Mutable)) {
    state.definitions[`${prefix}${key}`] = renameRefs(value, rename)
  }
  const renamed = renameRefs(root, rename) as Mutable
  if (JSON.stringify(json).includes('"$ref":"#"')) state.definitions[`${prefix}root`] = renamed
  return renamed
}

/** A copy of `json` with every `$ref` string passed through `rename`. */
export function renameRefs(json: unknown, rename: (ref: string) => string): unknown {
  if (Array.isArray(json)) return json.map((each) => renameRefs(each, rename))
  if (typeof json !== 'object' || json === null) return json
  return Object.fromEntries(
    Object.entries(json).map(([key, value]) => [
      key,
      key === '$ref' && typeof value === 'string' ? rename(value) : renameRefs(value, rename),
    ]),
  )
}

// Keywords whose value is data, not schema: copied as they are (keys sorted, lists kept).
const dataKeywords = new Set(['const', 'default', 'enum', 'examples'])
// Keywords whose value maps names (of properties, of definitions) to schemas.
const nameKeywords = new Set(['definitions', 'properties', 'patternProperties'])

/** What a JSON value is, for `canonical`: a schema, data, or a record of schemas by name. */
type Role = 'schema' | 'data' | 'names'

/**
 * A JSON copy of `value` with object keys sorted and each `required` list sorted (both are sets);
 * bigints become decimal strings and Dates ISO strings (a default's wire form), `undefined` and
 * functions are dropped.
 */
export function canonical(value: unknown, role: Role = 'schema'): JsonValue {
  if (typeof value === 'bigint') return value.toString()
  if (value instanceof Date) return value.toISOString()
  if (value instanceof Map || value instanceof Set) return canonical([...value], role)
  if (Array.isArray(value)) return value.map((each) => canonical(each, role) ?? null)
  if (typeof value !== 'object' || value === null) return value as JsonValue
  const out: Record<string, JsonValue> = {}
  for (const key of Object.keys(value).sort()) {
    const field = (value as Mutable)[key]
    if (field === undefined || typeof field === 'function' || typeof field === 'symbol') continue
    const inner: Role =
      role !== 'schema'
        ? role === 'names'
          ? 'schema'
          : 'data'
        : dataKeywords.has(key)
          ? 'data'
          : nameKeywords.has(key)
            ? 'names'
            : 'schema'
    const copy = canonical(field, inner)
    out[key] = role === 'schema' && key === 'required' && Array.isArray(copy) ? [...copy].sort() : copy
  }
  return out
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    for (const each of Object.values(value)) deepFreeze(each)
    Object.freeze(value)
  }
  return value
}
