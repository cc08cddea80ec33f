import { HeraldError } from '@herald/schema'
import { FallbackEventSource } from '#fallback-event-source'
import type { EventSourceConstructor, HeraldEventSource } from './event-source.ts'
import type { ClientOptions } from './types.ts'

/** The options of `createClient` that choose and configure its EventSource. */
export type EventSourceOptions = Pick<ClientOptions, 'EventSource' | 'withCredentials' | 'headers' | 'fetch'>

/**
 * The EventSource a client uses: one it opens as it is (the one given in `EventSource`, or the
 * runtime's), or Herald's, which it watches so that every message is seen.
 */
export type EventSourceChoice =
  | { readonly herald: false; readonly EventSource: EventSourceConstructor }
  | { readonly herald: true; readonly EventSource: typeof HeraldEventSource }

/**
 * Chooses the EventSource a client uses, once: the one given in `EventSource`, else the runtime's
 * own, else (or when `headers` or `fetch` are given) Herald's. Throws `INVALID_OPTIONS` when the
 * options ask for Herald's and it is not there, so `createClient` fails at once, never at a reconnect.
 */
export function chooseEventSource(options: EventSourceOptions): EventSourceChoice {
  const wantsFetch = options.headers !== undefined || options.fetch !== undefined
  const given = options.EventSource
  // `HeraldEventSource` (or a subclass) given with `headers` or `fetch` is used as Herald's own,
  // below: how a browser bundle, which leaves it out by default, sends headers.
  const heraldGiven = given !== undefined && wantsFetch && takesHeaders(given)
  if (given !== undefined && !heraldGiven) {
    if (wantsFetch) {
      throw new HeraldError(
        'INVALID_OPTIONS',
        "options 'headers' and 'fetch' need Herald's EventSource: drop 'EventSource' or pass HeraldEventSource",
      )
    }
    return { herald: false, EventSource: given }
  }
  const native = (globalThis as { EventSource?: EventSourceConstructor }).EventSource
  if (native !== undefined && !wantsFetch) return { herald: false, EventSource: native }
  const Herald = heraldGiven ? (given as typeof HeraldEventSource) : FallbackEventSource
  if (Herald === undefined) {
    const need = wantsFetch ? "options 'headers' and 'fetch' need" : 'this runtime has no EventSource: use'
    throw new HeraldError(
      'INVALID_OPTIONS',
      `${need} Herald's EventSource, which browser bundles leave out: pass { EventSource: HeraldEventSource }`,
    )
  }
  return { herald: true, EventSource: Herald }
}

/** Whether `EventSource` is Herald's (or a subclass), which takes `headers` and `fetch`. */
function takesHeaders(EventSource: EventSourceConstructor): boolean {
  return (EventSource as { takesHeaders?: unknown }).takesHeaders === true
}
