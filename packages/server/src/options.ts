import { HeraldError } from '@herald/schema'

/** Returns `value`, or `fallback` when it is undefined; throws `INVALID_OPTIONS` unless a whole number ≥ 0. */
export function wholeNumberOption(name: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new HeraldError('INVALID_OPTIONS', `option '${name}' must be a whole number ≥ 0, received ${String(value)}`)
  }
  return value
}
