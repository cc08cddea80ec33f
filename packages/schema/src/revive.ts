import type * as z4 from 'zod/v4/core'
import { defOf, needsRevive } from './schema-facts.ts'
import {
  concrete,
  convertLeaf,
  createMatchContext,
  type Holder,
  type MatchContext,
  partOf,
  parts,
} from './schema-match.ts'

// JSON carries Date as an ISO string, bigint as a decimal string, Map as an entries array and
// Set as an array (see `jsonReplacer`). `revive` walks a schema beside a parsed JSON value and
// turns those back into the types the schema's input side expects, so plain `z.date()` or
// `z.bigint()` fields round-trip. It never validates: the schema does that right after.
//
// One pass, each value node visited once with the schemas that apply to it (more than one under
// an intersection), from an explicit stack: the payload's depth costs heap, not call stack, so
// zod's own decode is what bounds the depth, as it would without Herald.

type Schema = z4.$ZodType

/** Visit the value at `holder[key]` with `schemas`; or, after its entries, build a Map or Set there. */
type Frame =
  | { readonly schemas: readonly Schema[]; readonly holder: Holder; readonly key: PropertyKey }
  | { readonly build: string; readonly holder: Holder; readonly key: PropertyKey; readonly from: unknown[] }

/** The writes a revive made, each as (holder, key, value before), so they can be undone. */
export type Writes = [Holder, PropertyKey, unknown][]

/**
 * Rebuilds the Dates, bigints, Maps and Sets that `schema` expects in `value`, which must be
 * freshly parsed JSON: objects and arrays are updated in place, each write logged in `writes`
 * when given. Returns the revived value.
 */
export function revive(
  schema: Schema,
  value: unknown,
  context: MatchContext = createMatchContext(),
  writes?: Writes,
): unknown {
  const root: Holder = { value }
  const stack: Frame[] = [{ schemas: [schema], holder: root, key: 'value' }]
  for (let frame = stack.pop(); frame !== undefined; frame = stack.pop()) {
    const { holder, key } = frame
    if ('build' in frame) {
      writes?.push([holder, key, holder[key]])
      holder[key] =
        frame.build === 'set'
          ? new Set(frame.from)
          : new Map(frame.from.map((entry) => (Array.isArray(entry) ? [entry[0], entry[1]] : [entry, undefined])))
      continue
    }
    const current = partOf(holder, key)
    if (current === undefined || current === null) continue
    context.steps++
    const schemas = concrete(frame.schemas, current, context)
    if (schemas.length === 0) continue
    if (typeof current !== 'object') {
      writes?.push([holder, key, current])
      holder[key] = convertLeaf(schemas, current)
      continue
    }
    const build = defOf(schemas[0] as Schema).type
    if (Array.isArray(current) && (build === 'map' || build === 'set'))
      stack.push({ build, holder, key, from: current })
    // Each part once, with every schema that types it (more than one under an intersection).
    const found = new Map<Holder, Map<PropertyKey, Schema[]>>()
    for (const each of schemas) {
      parts(each, current as Holder, (child, at, name) => {
        if (child == null || !needsRevive(child)) return true
        if (schemas.length === 1) return stack.push({ schemas: [child], holder: at, key: name }) > 0
        const byKey = found.get(at) ?? new Map<PropertyKey, Schema[]>()
        found.set(at, byKey)
        byKey.set(name, [...(byKey.get(name) ?? []), child])
        return true
      })
    }
    for (const [at, byKey] of found) {
      for (const [name, children] of byKey) stack.push({ schemas: children, holder: at, key: name })
    }
  }
  return root['value']
}

/** `JSON.stringify` replacer that writes bigint, Map and Set the way `revive` reads them. */
export function jsonReplacer(_key: string, value: unknown): unknown {
  if (typeof value === 'bigint') return value.toString()
  if (value instanceof Map) return [...value]
  if (value instanceof Set) return [...value]
  return value
}
