import type * as z4 from 'zod/v4/core'

// JSON carries Date as an ISO string, bigint as a decimal string, Map as an entries array and
// Set as an array (see `jsonReplacer`). `revive` walks a schema beside a parsed JSON value and
// turns those back into the types the schema's input side expects, so plain `z.date()` or
// `z.bigint()` fields round-trip. It never validates: the schema does that right after.

type Def = z4.$ZodTypeDef & Record<string, unknown>

function defOf(schema: z4.$ZodType): Def {
  return schema._zod.def as Def
}

function children(def: Def): z4.$ZodType[] {
  switch (def.type) {
    case 'date':
    case 'bigint':
    case 'map':
    case 'set':
      return []
    case 'object':
      return [...Object.values(def['shape'] as Record<string, z4.$ZodType>), ...optional(def['catchall'])]
    case 'array':
      return [def['element'] as z4.$ZodType]
    case 'tuple':
      return [...(def['items'] as z4.$ZodType[]), ...optional(def['rest'])]
    case 'record':
      return [def['valueType'] as z4.$ZodType]
    case 'union':
      return def['options'] as z4.$ZodType[]
    case 'intersection':
      return [def['left'] as z4.$ZodType, def['right'] as z4.$ZodType]
    case 'pipe':
      return [def['in'] as z4.$ZodType]
    case 'lazy':
      return [(def['getter'] as () => z4.$ZodType)()]
    default:
      return optional(def['innerType'])
  }
}

function optional(schema: unknown): z4.$ZodType[] {
  return schema === undefined ? [] : [schema as z4.$ZodType]
}

/**
 * True when some schema inside `schema` (itself included) passes `test`; answers are cached per
 * schema in `cache`, which each question keeps for itself.
 */
function anyInside(
  schema: z4.$ZodType,
  test: (type: string) => boolean,
  cache: WeakMap<z4.$ZodType, boolean>,
  visiting = new Set<z4.$ZodType>(),
): boolean {
  const cached = cache.get(schema)
  if (cached !== undefined) return cached
  // A schema met again while walking it (recursion) adds nothing new: answer false for now,
  // and cache only answers that don't rest on such a provisional false.
  if (visiting.has(schema)) return false
  visiting.add(schema)
  const def = defOf(schema)
  const result = test(def.type) || children(def).some((child) => anyInside(child, test, cache, visiting))
  visiting.delete(schema)
  if (result || visiting.size === 0) cache.set(schema, result)
  return result
}

const reviveCache = new WeakMap<z4.$ZodType, boolean>()
const flattened = new Set(['date', 'bigint', 'map', 'set'])

/** True when values of `schema` may hold a Date, bigint, Map or Set that JSON flattens. */
export function needsRevive(schema: z4.$ZodType): boolean {
  return anyInside(schema, (type) => flattened.has(type), reviveCache)
}

const replacerCache = new WeakMap<z4.$ZodType, boolean>()
const unstringifiable = new Set(['bigint', 'map', 'set', 'any', 'unknown', 'custom'])

/** True when a value of `schema` may hold something plain `JSON.stringify` would lose or reject. */
export function needsReplacer(schema: z4.$ZodType): boolean {
  return anyInside(schema, (type) => unstringifiable.has(type), replacerCache)
}

const symmetricCache = new WeakMap<z4.$ZodType, boolean>()
// Schemas whose encode direction is their parse direction: no transforms, codecs or defaults.
const symmetric = new Set([
  ...['string', 'number', 'boolean', 'bigint', 'date', 'null', 'undefined', 'void', 'literal', 'enum'],
  ...['any', 'unknown', 'object', 'array', 'tuple', 'record', 'union', 'intersection', 'optional'],
  ...['nullable', 'map', 'set', 'lazy', 'template_literal'],
])

/** True when `schema` holds no transform, codec, default or catch, so parsing validates as encoding would. */
export function isSymmetric(schema: z4.$ZodType): boolean {
  return !anyInside(schema, (type) => !symmetric.has(type), symmetricCache)
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

const ISO_DATE = /^(?:\d{4}|[+-]\d{6})-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:\d{2})?)?$/

/** Rebuilds the Dates, bigints, Maps and Sets in parsed JSON that `schema` expects. */
export function revive(
  schema: z4.$ZodType,
  value: unknown,
  decodes: (schema: z4.$ZodType, value: unknown) => boolean,
): unknown {
  if (value === undefined || value === null || !needsRevive(schema)) return value
  const def = defOf(schema)
  const walk = (child: z4.$ZodType, inner: unknown) => revive(child, inner, decodes)
  switch (def.type) {
    case 'date':
      // Only the ISO 8601 forms Date.prototype.toJSON writes (or a plain date): `new Date('1')`
      // would make a date of anything.
      return typeof value === 'string' && ISO_DATE.test(value) ? new Date(value) : value
    case 'bigint':
      return typeof value === 'string' && /^-?\d+$/.test(value) ? BigInt(value) : value
    case 'map': {
      if (!Array.isArray(value)) return value
      const [keyType, valueType] = [def['keyType'] as z4.$ZodType, def['valueType'] as z4.$ZodType]
      return new Map(
        value.map((entry) =>
          Array.isArray(entry) ? [walk(keyType, entry[0]), walk(valueType, entry[1])] : [entry, undefined],
        ),
      )
    }
    case 'set':
      return Array.isArray(value) ? new Set(value.map((item) => walk(def['valueType'] as z4.$ZodType, item))) : value
    case 'object': {
      if (!isRecord(value)) return value
      const shape = def['shape'] as Record<string, z4.$ZodType>
      const catchall = def['catchall'] as z4.$ZodType | undefined
      // fromEntries defines each key, so a JSON `__proto__` key stays data as JSON.parse left it.
      return Object.fromEntries(
        Object.entries(value).map(([key, inner]) => {
          const child = Object.hasOwn(shape, key) ? shape[key] : catchall
          return [key, child === undefined ? inner : walk(child, inner)]
        }),
      )
    }
    case 'array':
      return Array.isArray(value) ? value.map((item) => walk(def['element'] as z4.$ZodType, item)) : value
    case 'tuple': {
      if (!Array.isArray(value)) return value
      const items = def['items'] as z4.$ZodType[]
      const rest = def['rest'] as z4.$ZodType | undefined
      return value.map((item, index) => {
        const child = items[index] ?? rest
        return child === undefined ? item : walk(child, item)
      })
    }
    case 'record': {
      if (!isRecord(value)) return value
      const valueType = def['valueType'] as z4.$ZodType
      return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, walk(valueType, inner)]))
    }
    case 'union': {
      // The first option whose revived value decodes wins; plain JSON is the fallback.
      for (const option of def['options'] as z4.$ZodType[]) {
        const candidate = walk(option, value)
        if (decodes(option, candidate)) return candidate
      }
      return value
    }
    case 'intersection':
      return walk(def['right'] as z4.$ZodType, walk(def['left'] as z4.$ZodType, value))
    default: {
      const [child] = children(def)
      return child === undefined ? value : walk(child, value)
    }
  }
}

/** `JSON.stringify` replacer that writes bigint, Map and Set the way `revive` reads them. */
export function jsonReplacer(_key: string, value: unknown): unknown {
  if (typeof value === 'bigint') return value.toString()
  if (value instanceof Map) return [...value]
  if (value instanceof Set) return [...value]
  return value
}
