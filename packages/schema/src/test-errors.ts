// Test helper: excluded from the build.
import { type HeraldError, isHeraldError } from './errors.ts'

/** Runs `fn` and returns the HeraldError it throws; fails the test if it throws nothing or something else. */
export function heraldError(fn: () => unknown): HeraldError {
  try {
    fn()
  } catch (error) {
    if (isHeraldError(error)) return error
    throw error
  }
  throw new Error('expected a HeraldError, but nothing was thrown')
}
