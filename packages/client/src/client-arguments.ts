import { type AnyEvents, assertTopic, HeraldError } from '@herald/schema'
import { ARRAY, BOOLEAN, checkOptions, FUNCTION, HEADERS, ID } from './options.ts'
import { redactUrl } from './redact.ts'
import type { ClientOptions } from './types.ts'

/**
 * Checks what `createClient` was given, throwing `INVALID_OPTIONS` (or `INVALID_TOPIC` for a topic
 * the contract does not declare); returns the URL as a string.
 */
export function checkArguments<TEvents extends AnyEvents>(
  events: TEvents,
  url: string | URL,
  options: ClientOptions<TEvents>,
): string {
  if (typeof events !== 'object' || events === null || !(events.specs instanceof Map)) {
    throw new HeraldError('INVALID_OPTIONS', 'createClient() expects the result of defineEvents()')
  }
  checkOptions('createClient()', options, {
    EventSource: FUNCTION,
    withCredentials: BOOLEAN,
    headers: HEADERS,
    fetch: FUNCTION,
    lastEventId: ID,
    topics: ARRAY,
    ticket: FUNCTION,
    selfCheck: { expected: 'false or selfCheck', test: (value) => value === false || typeof value === 'function' },
  })
  for (const topic of options.topics ?? []) assertTopic(events, topic)
  const href = String(url)
  try {
    new URL(href, (globalThis as { location?: { href: string } }).location?.href)
  } catch {
    throw new HeraldError(
      'INVALID_OPTIONS',
      `createClient(): invalid URL ${JSON.stringify(redactUrl(href).slice(0, 200))}`,
    )
  }
  return href
}
