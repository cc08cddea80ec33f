import * as z4 from 'zod/v4/core'
import { defOf, needsRevive } from './schema-facts.ts'

// Which schemas apply to one parsed JSON value, and which option of a union it belongs to.
// Reviving must pick a union's option before the value is rebuilt, and trying each option with
// a full revive-and-decode cost O(2^depth) on a recursive union. Here the choice costs O(1) per
// (schema node, value node) pair, whatever the nesting:
// - a discriminated union is read by its discriminator, as zod itself does;
// - any other union takes its first option the value fits. `fits` answers per pair once
//   (memoised), with zod's exact verdict on primitives and a type-level verdict on containers
//   (an object fits when its keys fit; the container's own checks, like `.min()` on an array
//   or `.refine()` on an object, are left to the decode that follows);
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

/** True for a non-null, non-array object, as zod's objects and records expect. */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
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

// Wrappers that pass a non-null value straight to their inner schema.
const passThrough = new Set(['optional', 'nullable', 'default', 'prefault', 'nonoptional', 'readonly'])

/** `schema` without the wrappers, pipes (their input side) and lazies a non-null value passes through. */
function unwrap(schema: Schema): Schema | undefined {
  for (let hops = 0; hops < 100; hops++) {
    const def = defOf(schema)
    if (passThrough.has(def.type)) schema = def['innerType'] as Schema
    else if (def.type === 'pipe') schema = def['in'] as Schema
    else if (def.type === 'lazy') schema = (def['getter'] as () => Schema)()
    else return schema
  }
  return undefined // a lazy that only ever leads to itself
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
    if (isArray) return false
    const shape = (def['shape'] ?? {}) as Record<string, Schema>
    for (const key of Object.keys(shape)) if (!each(shape[key], value, key)) return false
    const rest = (def['catchall'] ?? def['valueType']) as Schema | undefined
    if (rest !== undefined) {
      for (const key of Object.keys(value)) if (!Object.hasOwn(shape, key) && !each(rest, value, key)) return false
    }
    return true
  }
  if (!isArray) return false
  const items = def['items'] as Schema[] | undefined
  const length = items === undefined ? value.length : Math.max(items.length, value.length)
  for (let index = 0; index < length; index++) {
    if (def.type === 'map') {
      const entry = value[index]
      if (!Array.isArray(entry)) return false
      if (!each(def['keyType'] as Schema, entry as unknown[] & Holder, 0)) return false
      if (!each(def['valueType'] as Schema, entry as unknown[] & Holder, 1)) return false
    } else {
      const child = items === undefined ? (def['element'] ?? def['valueType']) : (items[index] ?? def['rest'])
      if (!each(child as Schema | null, value, index)) return false
    }
  }
  return true
}

// The schema types revive rebuilds (date, bigint, map, set) or walks into.
const concreteTypes = new Set(['date', 'bigint', 'map', 'set', 'object', 'array', 'tuple', 'record'])

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
    } else if (def.type === 'intersection') {
      add(def['left'] as Schema)
      add(def['right'] as Schema)
    } else if (def['innerType'] !== undefined) {
      add(def['innerType'] as Schema) // catch, promise…
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
  if (typeof key !== 'string' || !isRecord(value)) return undefined
  const tag = partOf(value, key)
  return (defOf(union)['options'] as Schema[]).find((option) =>
    (option._zod as { propValues?: Record<string, Set<unknown>> }).propValues?.[key]?.has(tag),
  )
}

/** The option of `union` that `value` is revived for: by discriminator, else the first it fits. */
export function chooseOption(union: Schema, value: unknown, context: MatchContext): Schema | undefined {
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
 * containers. Memoised per (schema, container) and evaluated with an explicit stack.
 */
export function fits(schema: Schema, value: unknown, context: MatchContext): boolean {
  if (!isContainer(value)) return leafFits(schema, value, context)
  const stack: { schema: Schema; value: Holder; plan?: Plan }[] = [{ schema, value }]
  while (stack.length > 0) {
    const frame = stack[stack.length - 1] as (typeof stack)[number]
    if (frame.plan === undefined) {
      if (typeof verdictOf(context, frame.schema, frame.value) === 'boolean') {
        stack.pop()
        continue
      }
      const plan = planFor(frame.schema, frame.value, context)
      if (typeof plan === 'boolean') {
        setVerdict(context, frame.schema, frame.value, plan)
        stack.pop()
        continue
      }
      setVerdict(context, frame.schema, frame.value, 'pending')
      frame.plan = plan
      for (const [childSchema, child] of plan.pairs) {
        if (verdictOf(context, childSchema, child) === undefined) stack.push({ schema: childSchema, value: child })
      }
      continue
    }
    // Every part is decided now; one still pending is this frame's own ancestor (a cycle): false.
    const { some, pairs } = frame.plan
    const ok = (pair: [Schema, Holder]) => verdictOf(context, pair[0], pair[1]) === true
    setVerdict(context, frame.schema, frame.value, some ? pairs.some(ok) : pairs.every(ok))
    stack.pop()
  }
  return verdictOf(context, schema, value) === true
}

function verdictOf(context: MatchContext, schema: Schema, value: object): boolean | 'pending' | undefined {
  return context.verdicts.get(value)?.get(schema)
}

function setVerdict(context: MatchContext, schema: Schema, value: object, verdict: boolean | 'pending'): void {
  let bySchema = context.verdicts.get(value)
  if (bySchema === undefined) {
    bySchema = new Map()
    context.verdicts.set(value, bySchema)
  }
  bySchema.set(schema, verdict)
}

/** One step of `fits` for a container: a verdict now, or the parts it depends on. */
function planFor(wrapped: Schema, value: Holder, context: MatchContext): boolean | Plan {
  context.steps++
  const schema = unwrap(wrapped)
  if (schema === undefined) return false
  const def = defOf(schema)
  switch (def.type) {
    case 'any':
    case 'unknown':
    case 'catch':
    case 'transform':
      return true
    case 'union': {
      const option = byDiscriminator(schema, value)
      const options = option === undefined ? (def['options'] as Schema[]) : [option]
      return { some: true, pairs: options.map((each): [Schema, Holder] => [each, value]) }
    }
    case 'intersection':
      return {
        some: false,
        pairs: [
          [def['left'] as Schema, value],
          [def['right'] as Schema, value],
        ],
      }
    case 'object':
    case 'record':
    case 'array':
    case 'set':
    case 'tuple':
    case 'map': {
      // A primitive part is settled at once, by zod; a container part joins the plan.
      const pairs: [Schema, Holder][] = []
      const ok = parts(schema, value, (child, holder, key) => {
        const part = partOf(holder, key)
        if (child == null) return false
        if (!isContainer(part)) return leafFits(child, part, context)
        pairs.push([child, part])
        return true
      })
      return ok && { some: false, pairs }
    }
    default:
      // A leaf schema (string, date, literal, custom…) against a container: zod decides, at once.
      return leafFits(schema, value, context)
  }
}
