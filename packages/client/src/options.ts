import { HeraldError } from '@herald/schema'

/** What an option must be. */
type Kind = 'boolean' | 'function' | 'id' | 'headers' | 'count' | 'delay'

const EXPECTED: Record<Kind, string> = {
  boolean: 'a boolean',
  function: 'a function',
  id: 'a string without NUL, CR or LF',
  headers: 'headers, or a function that returns them',
  count: 'a whole number ≥ 0',
  delay: 'a whole number of milliseconds from 0 to 2147483647',
}

function fits(kind: Kind, value: unknown): boolean {
  switch (kind) {
    case 'boolean':
      return typeof value === 'boolean'
    case 'function':
      return typeof value === 'function'
    case 'id':
      return typeof value === 'string' && !/[\0\r\n]/.test(value)
    case 'headers':
      return typeof value === 'function' || (typeof value === 'object' && value !== null)
    case 'count':
      return Number.isSafeInteger(value) && (value as number) >= 0
    case 'delay':
      // A timer takes no more: setTimeout runs anything longer after 1 ms.
      return Number.isSafeInteger(value) && (value as number) >= 0 && (value as number) <= 2 ** 31 - 1
  }
}

/**
 * Throws `INVALID_OPTIONS` unless `options` is undefined or an object whose options named in
 * `kinds` are each undefined or of their kind.
 */
export function checkOptions(where: string, options: unknown, kinds: Readonly<Record<string, Kind>>): void {
  if (options === undefined) return
  if (typeof options !== 'object' || options === null) {
    throw new HeraldError('INVALID_OPTIONS', `${where}: options must be an object, received ${typeName(options)}`)
  }
  for (const [name, kind] of Object.entries(kinds)) {
    const value = (options as Record<string, unknown>)[name]
    if (value === undefined || fits(kind, value)) continue
    throw new HeraldError(
      'INVALID_OPTIONS',
      `${where}: option '${name}' must be ${EXPECTED[kind]}, received ${shown(value)}`,
    )
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
