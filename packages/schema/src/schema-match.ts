import * as z4 from 'zod/v4/core'
// revive.ts imports this file too: a union option with checks is confirmed by reviving a value
// for it (functions only, called after both modules have loaded, so the cycle is harmless).
import { revive, type Writes } from './revive.ts'
import { defOf, needsRevive } from './schema-facts.ts'
import { isChecked, unwrap, verdictKey } from './schema-unwrap.ts'

// Which schemas apply to one parsed JSON value, and which option of a union it belongs to.
// Reviving must pick a union's option before the value is rebuilt, and trying each option with
// a full revive-and-decode cost O(2^depth) on a recursive union. Here the choice costs O(1) per
// (schema node, value node) pair, whatever the nesting:
// - a discriminated union is read by its discriminator, as zod itself does;
// - any other union takes its first option the value fits. `fits` answers per pair once
//   (memoised), with zod's exact verdict on primitives and a type-level verdict on containers
//   (an object fits when its keys fit), confirmed by zod where a type cannot tell: a container
//   schema with checks (`.length()` on an array, `.refine()` on an object), a pipe, or a record
//   whose keys are not any string (`fits` walks its values only) fits only
//   when zod decodes the value revived for it (on the payload itself, every write undone after).
//   A confirmation costs the size of the value it decodes, once per (schema, value) pair: the
//   whole decode stays linear unless such schemas nest in each other along the payload, where it
//   is O(payload × the number of confirmed schemas on one path) at worst;
// - nothing here recurses with the payload: containers go through an explicit stack, so a
//   payload zod can decode is never refused for depth.

/** Per-decode state: the memo of verdicts, and a deterministic count of the work done. */
export interface MatchContext {
  /** One per schema/value pair looked at; tests read it as a cost that timing cannot blur. */
  steps: number
  readonly verdicts: Map<object, Map<z4.$ZodType, boolean | 'pending'>>
  readonly leafPath: Set<z4.$ZodType>
}

/** A fresh context for one decode. */
export function createMatchContext(): MatchContext {
  return { steps: 0, verdicts: new Map(), leafPath: new Set() }
}

type Schema = z4.$ZodType

/** An object or array holding a part of the payload, written to in place. */
export type Holder = Record<PropertyKey, unknown>

/** The own value at `holder[key]`: a missing `toString` key is undefined, not the inherited one. */
export function partOf(holder: Holder, key: PropertyKey): unknown {
  return Object.hasOwn(holder, key) ? holder[key] : undefined
}

function isContainer(value: unknown): value is Holder {
  return typeof value === 'object' && value !== null
}

/** zod's verdict on the container `value` revived for `schema`; the payload is left as it was. */
function confirmed(schema: Schema, value: Holder, context: MatchContext): boolean {
  if (!isChecked(schema)) return true
  context.steps++
  const writes: Writes = []
  try {
    return z4.safeDecode(schema, revive(schema, value, context, writes) as never).success
  } catch {
    return false
  } finally {
    for (let index = writes.length - 1; index >= 0; index--) {
      const [holder, key, previous] = writes[index] as Writes[number]
      holder[key] = previous
    }
  }
}

/**
 * Calls `each` for every part of the container `value` that the container schema `schema` types,
 * with the part's schema (null past a tuple's end), holder and key, until `each` returns false.
 * Returns false when `value` is not the kind of container `schema` reads, or `each` did.
 */
export function parts(
  schema: Schema,
  value: Holder,
  each: (child: Schema | null | undefined, holder: Holder, key: PropertyKey) => boolean,
): boolean {
  const def = defOf(schema)
  const isArray = Array.isArray(value)
  if (def.type === 'object' || def.type === 'record') {
    const shape = (def['shape'] ?? {}) as Record<string, Schema>
    const rest = (def['catchall'] ?? def['valueType']) as Schema | undefined
    return (
      !isArray &&
      Object.keys(shape).every((key) => each(shape[key], value, key)) &&
      (rest === undefined || Object.keys(value).every((key) => Object.hasOwn(shape, key) || each(rest, value, key)))
    )
  }
  if (!isArray) return false
  const items = def['items'] as Schema[] | undefined
  const length = items === undefined ? value.length : Math.max(items.length, value.length)
  for (let index = 0; index < length; index++) {
    const entry = value[index] as Holder
    const ok =
      def.type === 'map'
        ? Array.isArray(entry) && each(def['keyType'] as Schema, entry, 0) && each(def['valueType'] as Schema, entry, 1)
        : each(
            (items === undefined ? (def['element'] ?? def['valueType']) : (items[index] ?? def['rest'])) as Schema,
            value,
            index,
          )
    if (!ok) return false
  }
  return true
}

// The schema types revive rebuilds (date, bigint, map, set) or walks into.
const containerTypes: string[] = ['map', 'set', 'object', 'array', 'tuple', 'record']
const concreteTypes = new Set(['date', 'bigint', ...containerTypes])

/**
 * The concrete schemas (date, bigint, map, set, object, array, tuple, record) that `schemas`
 * require of `value`: wrappers unwrapped, intersections split, unions resolved to one option.
 * Schemas with nothing to revive are dropped. Recurses over the schema only, never the value.
 */
export function concrete(schemas: readonly Schema[], value: unknown, context: MatchContext): readonly Schema[] {
  // The common case, one plain object, array, date…: nothing to unwrap.
  if (schemas.length === 1 && concreteTypes.has(defOf(schemas[0] as Schema).type)) {
    context.steps++
    return needsRevive(schemas[0] as Schema) ? schemas : []
  }
  const out: Schema[] = []
  const seen = new Set<Schema>()
  const add = (wrapped: Schema): void => {
    const schema = unwrap(wrapped)
    if (schema === undefined || seen.has(schema) || !needsRevive(schema)) return
    seen.add(schema)
    context.steps++
    const def = defOf(schema)
    if (concreteTypes.has(def.type)) {
      out.push(schema)
    } else if (def.type === 'union') {
      const option = chooseOption(schema, value, context)
      if (option !== undefined) add(option)
    } else {
      // An intersection's sides; the inner schema of a catch, a promise…
      for (const inner of [def['left'], def['right'], def['innerType']]) if (inner !== undefined) add(inner as Schema)
    }
  }
  for (const schema of schemas) add(schema)
  return out
}

const ISO_DATE = /^(?:\d{4}|[+-]\d{6})-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:\d{2})?)?$/

/** A JSON primitive rebuilt as the first of `schemas` that reads it: a Date or a bigint. */
export function convertLeaf(schemas: readonly Schema[], value: unknown): unknown {
  if (typeof value !== 'string') return value
  for (const schema of schemas) {
    const type = defOf(schema).type
    // Only the ISO 8601 forms Date.prototype.toJSON writes (or a plain date): `new Date('1')`
    // would make a date of anything.
    if (type === 'date' && ISO_DATE.test(value)) return new Date(value)
    if (type === 'bigint' && /^-?\d+$/.test(value)) return BigInt(value)
  }
  return value
}

/** The option a discriminated union picks for `value` by its tag, as zod picks it. */
function byDiscriminator(union: Schema, value: unknown): Schema | undefined {
  const key = defOf(union)['discriminator']
  if (typeof key !== 'string' || !isContainer(value) || Array.isArray(value)) return undefined
  const tag = partOf(value, key)
  return (defOf(union)['options'] as Schema[]).find((option) =>
    (option._zod as { propValues?: Record<string, Set<unknown>> }).propValues?.[key]?.has(tag),
  )
}

/** The option of `union` that `value` is revived for: by discriminator, else the first it fits. */
function chooseOption(union: Schema, value: unknown, context: MatchContext): Schema | undefined {
  return (
    byDiscriminator(union, value) ??
    (defOf(union)['options'] as Schema[]).find((option) => fits(option, value, context))
  )
}

/** zod's own verdict on a primitive (or on a container for a leaf schema), after reviving it. */
function leafFits(schema: Schema, value: unknown, context: MatchContext): boolean {
  // A union that holds itself through lazies alone would loop; zod could not decode it either.
  if (context.leafPath.has(schema)) return false
  context.leafPath.add(schema)
  context.steps++
  try {
    const revived = isContainer(value) ? value : convertLeaf(concrete([schema], value, context), value)
    return z4.safeDecode(schema, revived as never).success
  } catch {
    return false
  } finally {
    context.leafPath.delete(schema)
  }
}

/** What a container needs of its parts: all of them (`some: false`) or one (unions). */
interface Plan {
  readonly some: boolean
  readonly pairs: [Schema, Holder][]
}

/**
 * Whether `value` fits `schema`, so a union may pick it: exact for primitives, by type for
 * containers, by zod for containers with checks. Memoised per (schema, container) and
 * evaluated with an explicit stack.
 */
function fits(schema: Schema, value: unknown, context: MatchContext): boolean {
  if (!isContainer(value)) return leafFits(schema, value, context)
  // The verdicts on one container, per schema: a boolean, or 'pending' while its parts are decided.
  const verdicts = (part: object) => {
    const found = context.verdicts.get(part) ?? new Map<Schema, boolean | 'pending'>()
    context.verdicts.set(part, found)
    return found
  }
  const decided = ([partSchema, part]: [Schema, Holder]) => verdicts(part).get(partSchema) === true
  const root: [Schema, Holder] = [verdictKey(schema), value]
  const stack: [Schema, Holder, Plan?][] = [[...root]]
  for (let frame = stack.at(-1); frame !== undefined; frame = stack.at(-1)) {
    const [frameSchema, part, plan] = frame
    const own = verdicts(part)
    if (plan !== undefined) {
      // Every part is decided now; one still pending is this frame's own ancestor (a cycle): false.
      const ok = plan.some ? plan.pairs.some(decided) : plan.pairs.every(decided)
      own.set(frameSchema, ok && confirmed(frameSchema, part, context))
    } else if (typeof own.get(frameSchema) !== 'boolean') {
      const next = planFor(frameSchema, part, context)
      if (typeof next === 'boolean') {
        // 'pending' while confirming: a schema that holds itself must not confirm itself again.
        own.set(frameSchema, 'pending')
        own.set(frameSchema, next && confirmed(frameSchema, part, context))
      } else {
        own.set(frameSchema, 'pending')
        frame[2] = next
        for (const [childSchema, child] of next.pairs) {
          if (!verdicts(child).has(childSchema)) stack.push([childSchema, child])
        }
        continue
      }
    }
    stack.pop()
  }
  return decided(root)
}

/** One step of `fits` for a container: a verdict now, or the parts it depends on. */
function planFor(wrapped: Schema, value: Holder, context: MatchContext): boolean | Plan {
  context.steps++
  const schema = unwrap(wrapped)
  if (schema === undefined) return false
  const def = defOf(schema)
  const { type } = def
  if (type === 'any' || type === 'unknown' || type === 'catch' || type === 'transform') return true
  if (type === 'union' || type === 'intersection') {
    const option = byDiscriminator(schema, value)
    const options = (option === undefined ? (def['options'] ?? [def['left'], def['right']]) : [option]) as Schema[]
    return { some: type === 'union', pairs: options.map((each): [Schema, Holder] => [verdictKey(each), value]) }
  }
  // A leaf schema (string, date, literal, custom…) against a container: zod decides, at once.
  if (!containerTypes.includes(type)) return leafFits(schema, value, context)
  // A primitive part is settled at once, by zod; a container part joins the plan.
  const pairs: [Schema, Holder][] = []
  const ok = parts(schema, value, (child, holder, key) => {
    const part = partOf(holder, key)
    if (child == null) return false
    if (!isContainer(part)) return leafFits(child, part, context)
    pairs.push([verdictKey(child), part])
    return true
  })
  return ok && { some: false, pairs }
}
