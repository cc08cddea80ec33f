import type * as z4 from 'zod/v4/core'
import { defOf, lazyTarget } from './schema-facts.ts'

// The schema a non-null value is actually read by, under its wrappers, pipes and lazies; and
// whether the way there holds checks that only zod can answer.

type Schema = z4.$ZodType

// Wrappers that pass a non-null value straight to their inner schema.
const passThrough = new Set(['optional', 'nullable', 'default', 'prefault', 'nonoptional', 'readonly'])

/**
 * `schema` without the wrappers, pipes (their input side) and lazies a non-null value passes
 * through; `visit` sees each schema on the way, the last one included.
 */
export function unwrap(schema: Schema, visit?: (each: Schema) => void): Schema | undefined {
  for (let hops = 0; hops < 100; hops++) {
    visit?.(schema)
    const def = defOf(schema)
    if (passThrough.has(def.type)) schema = def['innerType'] as Schema
    else if (def.type === 'pipe') schema = def['in'] as Schema
    else if (def.type === 'lazy') schema = lazyTarget(schema)
    else return schema
  }
  return undefined // a lazy that only ever leads to itself
}

/**
 * True when zod may refuse a container that fits `schema` by type: a check or a pipe on the way,
 * or a record whose keys are not any string (an enum, a literal, a number, a checked string…),
 * since `fits` walks a record's values only.
 */
export function isChecked(schema: Schema): boolean {
  let checked = false
  unwrap(schema, (each) => {
    const def = defOf(each)
    checked ||= (def.checks?.length ?? 0) > 0 || def.type === 'pipe' || (def.type === 'record' && !anyString(def))
  })
  return checked
}

/** True when the record `def` takes every string key: its key schema is a plain `z.string()`. */
function anyString(def: ReturnType<typeof defOf>): boolean {
  const key = def['keyType'] as Schema
  const inner = unwrap(key)
  return inner !== undefined && defOf(inner).type === 'string' && defOf(inner)['format'] == null && !isChecked(key)
}

/**
 * The schema `fits` remembers a verdict under: the unwrapped one, shared by all its wrappers,
 * unless the wrappers hold checks that only a decode of `schema` itself answers.
 */
export function verdictKey(schema: Schema): Schema {
  return isChecked(schema) ? schema : (unwrap(schema) ?? schema)
}
