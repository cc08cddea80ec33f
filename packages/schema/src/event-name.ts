import { HeraldError } from './errors.ts'

/** Event names with this prefix are Herald's own control events (`herald:gap`, `herald:ping`…). */
export const RESERVED_PREFIX = 'herald:'

/** The longest event name Herald accepts, in UTF-16 code units. */
export const MAX_EVENT_NAME_LENGTH = 128

/**
 * Why `name` cannot be an SSE event name, or `undefined` when it can.
 * A name must survive the `event:` field untouched: no line breaks or NUL, no leading
 * space (the parser strips one) or colon (a comment), not empty, not absurdly long, not in
 * Herald's reserved `herald:` namespace, and not `open` or `error`, which an EventSource
 * also fires for its connection.
 */
export function eventNameProblem(name: string): string | undefined {
  if (name.length === 0) return 'is empty'
  if (name.length > MAX_EVENT_NAME_LENGTH) return `is longer than ${MAX_EVENT_NAME_LENGTH} characters`
  if (/[\r\n\0]/.test(name)) return 'contains a line break or NUL'
  if (name.startsWith(':')) return "starts with ':'"
  if (name !== name.trim()) return 'starts or ends with whitespace'
  if (/[\uD800-\uDFFF]/u.test(name)) return 'contains a lone surrogate'
  if (name.startsWith(RESERVED_PREFIX)) return `uses the reserved prefix '${RESERVED_PREFIX}'`
  if (name === 'open' || name === 'error') return "is one of EventSource's own events, 'open' and 'error'"
  return undefined
}

/** Throws `INVALID_EVENT_NAME` unless `name` is a legal SSE event name. */
export function assertEventName(name: unknown): asserts name is string {
  if (typeof name !== 'string') {
    throw new HeraldError('INVALID_EVENT_NAME', `event name must be a string, received ${typeof name}`)
  }
  const problem = eventNameProblem(name)
  if (problem !== undefined) {
    throw new HeraldError('INVALID_EVENT_NAME', `event '${name.slice(0, 40)}': name ${problem}`, { event: name })
  }
}
