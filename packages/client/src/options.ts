import { HeraldError } from '@herald/schema'

/** What an option must be: a test, and the words an error uses for what it expects. */
export interface Kind {
  readonly test: (value: unknown) => boolean
  readonly expected: string
}

const kind = (expected: string, test: (value: unknown) => boolean): Kind => ({ test, expected })
const isWhole = (value: unknown, max: number) =>
  Number.isSafeInteger(value) && (value as number) >= 0 && (value as number) <= max

// Each kind is its own constant, so a bundle carries only the kinds its code checks.
/** A boolean. */
export const BOOLEAN: Kind = /* @__PURE__ */ kind('a boolean', (value) => typeof value === 'boolean')
/** A function. */
export const FUNCTION: Kind = /* @__PURE__ */ kind('a function', (value) => typeof value === 'function')
/** An event id: a string without NUL, CR or LF. */
export const ID: Kind = /* @__PURE__ */ kind(
  'a string without NUL, CR or LF',
  (value) => typeof value === 'string' && !/[\0\r\n]/.test(value),
)
/** Headers, or a function that returns them. */
export const HEADERS: Kind = /* @__PURE__ */ kind(
  'headers, or a function that returns them',
  (value) => typeof value === 'function' || (typeof value === 'object' && value !== null),
)
/** An array. */
export const ARRAY: Kind = /* @__PURE__ */ kind('an array', (value) => Array.isArray(value))
/** A whole number ≥ 0. */
export const COUNT: Kind = /* @__PURE__ */ kind('a whole number ≥ 0', (value) => isWhole(value, Infinity))
/** A delay a timer takes: setTimeout runs anything longer after 1 ms. */
export const DELAY: Kind = /* @__PURE__ */ kind('a whole number of milliseconds from 0 to 2147483647', (value) =>
  isWhole(value, 2 ** 31 - 1),
)

/**
 * Throws `INVALID_OPTIONS` unless `options` is undefined or an object whose options named in
 * `kinds` are each undefined or of their kind.
 */
export function checkOptions(where: string, options: unknown, kinds: Readonly<Record<string, Kind>>): void {
  if (options === undefined) return
  if (typeof options !== 'object' || options === null) {
    throw new HeraldError('INVALID_OPTIONS', `${where}: options must be an object, received ${typeName(options)}`)
  }
  for (const [name, { test, expected }] of Object.entries(kinds)) {
    const value = (options as Record<string, unknown>)[name]
    if (value === undefined || test(value)) continue
    throw new HeraldError('INVALID_OPTIONS', `${where}: option '${name}' must be ${expected}, received ${shown(value)}`)
  }
}

function typeName(value: unknown): string {
  return value === null ? 'null' : typeof value
}

/** A value in an error message: numbers and strings as they are, anything else by its type. */
function shown(value: unknown): string {
  if (typeof value === 'number') return String(value)
  if (typeof value === 'string') return JSON.stringify(value.slice(0, 40))
  return typeName(value)
}
