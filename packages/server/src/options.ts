import { HeraldError } from '@herald/schema'

/** The longest delay a Node timer takes; a longer one fires after 1 ms. */
export const MAX_DELAY_MS = 2 ** 31 - 1

/**
 * Returns `value`, or `fallback` when it is undefined; throws `INVALID_OPTIONS` unless a whole
 * number from `min` to `max`.
 */
export function wholeNumberOption(
  name: string,
  value: unknown,
  fallback: number,
  max = Number.MAX_SAFE_INTEGER,
  min = 0,
): number {
  if (value === undefined) return fallback
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `≥ ${min}` : `from ${min} to ${max}`
    throw new HeraldError(
      'INVALID_OPTIONS',
      `option '${name}' must be a whole number ${range}, received ${describe(value)}`,
    )
  }
  return value
}

/** Throws `INVALID_OPTIONS` unless `value` is undefined or a function. */
export function functionOption(name: string, value: unknown): void {
  if (value !== undefined && typeof value !== 'function') {
    throw new HeraldError('INVALID_OPTIONS', `option '${name}' must be a function, received ${describe(value)}`)
  }
}

/** A value, in a few words for an error message. */
export function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.slice(0, 40))
  if (typeof value === 'function') return 'a function'
  if (typeof value !== 'object' || value === null) return String(value)
  return Array.isArray(value) ? 'an array' : 'an object'
}
