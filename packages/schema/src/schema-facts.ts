import type * as z4 from 'zod/v4/core'

// Facts about a schema that hold whatever the value: what it may contain, whether it encodes as
// it parses. Each is computed once per schema node and cached; the walk recurses over the schema
// graph only (its depth is the developer's, never the payload's).

/** A schema definition, read by its `type` and the fields that type has. */
export type Def = z4.$ZodTypeDef & Record<string, unknown>

/** The definition of `schema`, for reading its type-specific fields. */
export function defOf(schema: z4.$ZodType): Def {
  return schema._zod.def as Def
}

/**
 * The schema a lazy resolves to. zod calls the getter once and keeps the result; calling
 * `def.getter()` ourselves would build new schemas on every visit when the getter creates them
 * (`z.lazy(() => z.union([...]))`, zod's recursive JSON recipe), so no cache keyed by schema would hit.
 */
export function lazyTarget(schema: z4.$ZodType): z4.$ZodType {
  return (schema as z4.$ZodLazy)._zod.innerType
}

/** The schemas directly inside `schema` (a lazy schema's target included). */
export function children(schema: z4.$ZodType): z4.$ZodType[] {
  const def = defOf(schema)
  const { type } = def
  if (type === 'lazy') return [lazyTarget(schema)]
  if (type === 'union') return def['options'] as z4.$ZodType[]
  if (type === 'object') return [...Object.values(def['shape'] as object), ...optional(def['catchall'])]
  if (type === 'tuple') return [...(def['items'] as z4.$ZodType[]), ...optional(def['rest'])]
  // A map's key and value, a set's or record's value, an array's element, an intersection's
  // sides, a pipe's input, a wrapper's inner schema (a record's key is a string: never walked;
  // zod confirms a record with a narrower key, see isChecked).
  const keys = [
    type === 'map' && 'keyType',
    'valueType',
    'element',
    'left',
    'right',
    type === 'pipe' && 'in',
    'innerType',
  ]
  return keys.flatMap((key) => (key === false ? [] : optional(def[key])))
}

function optional(schema: unknown): z4.$ZodType[] {
  // zod leaves an absent tuple rest as null, an absent catchall as undefined.
  return schema == null ? [] : [schema as z4.$ZodType]
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
  const result = test(def.type) || children(schema).some((child) => anyInside(child, test, cache, visiting))
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
