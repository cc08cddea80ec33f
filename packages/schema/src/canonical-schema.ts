import type * as z4 from 'zod/v4/core'
import { lazyTarget } from './schema-facts.ts'

// A canonical text for a schema, from its definition (`_zod.def`): what the contract's
// fingerprint hashes. Not zod's `toJSONSchema`: that would add about 22 KB (7 KB gzip) to every
// browser bundle, and it throws on dates and transforms, which Herald carries. This walk is a few
// hundred bytes and covers every part of a definition that is data: types, shapes, checks and
// their bounds, formats and patterns, optional and nullable wrappers, both sides of a codec or
// pipe, literals and enums, the order of union options. Functions (refinements, transforms,
// custom error messages) are code, not data, so they are left out; so are default values, which
// zod recomputes on each read when they come from a function (`.default(() => new Date())`).
// Metadata (`.describe()`, `.meta()`) lives in registries, not in the definition: also left out.

/** Definition fields that are not stable data. */
const skipped = new Set(['defaultValue'])

/**
 * The canonical text of `schema`: the same for equal definitions whatever their key order, in any
 * process; different when a type, a field, a check or a wrapper differs. A schema met again inside
 * itself (recursion through `z.lazy` or a getter) is written `^n`, n levels up.
 */
export function canonicalSchema(schema: z4.$ZodType): string {
  return write(schema, [])
}

function write(value: unknown, path: object[]): string {
  if (typeof value === 'string') return JSON.stringify(value)
  if (typeof value === 'bigint') return `${value}n`
  if (typeof value !== 'object' || value === null) return String(value) // numbers, booleans, null, undefined
  if (value instanceof RegExp) return `re${JSON.stringify(String(value))}`
  if (value instanceof Date) return `date${JSON.stringify(Number.isNaN(value.getTime()) ? 'NaN' : value.toISOString())}`
  const up = path.lastIndexOf(value)
  if (up !== -1) return `^${path.length - up}`
  path.push(value)
  let text: string
  if (Array.isArray(value)) {
    text = `[${value.map((each) => write(each, path)).join(',')}]`
  } else if ('_zod' in value) {
    // A schema or a check: its definition is what it is. A lazy's getter is code: its target is not.
    const def = (value as z4.$ZodType)._zod.def as z4.$ZodTypeDef & Record<string, unknown>
    text = def.type === 'lazy' ? `{"lazy":${write(lazyTarget(value as z4.$ZodType), path)}}` : write(def, path)
  } else {
    const fields: string[] = []
    for (const key of Object.keys(value).sort()) {
      const field = (value as Record<string, unknown>)[key]
      if (typeof field === 'function' || field === undefined || skipped.has(key)) continue
      if (key === 'checks' && Array.isArray(field) && field.length === 0) continue // zod writes none both ways
      fields.push(`${JSON.stringify(key)}:${write(field, path)}`)
    }
    text = `{${fields.join(',')}}`
  }
  path.pop()
  return text
}
