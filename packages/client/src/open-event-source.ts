import { HeraldError } from '@herald/schema'
import { FallbackEventSource } from '#fallback-event-source'
import type { EventSourceConstructor, EventSourceLike, HeraldEventSource } from './event-source.ts'
import type { ClientOptions } from './types.ts'
import { openWatchedEventSource } from './watched-event-source.ts'

/** The options of `createClient` that choose and configure its EventSource. */
export type EventSourceOptions = Pick<ClientOptions, 'EventSource' | 'withCredentials' | 'headers' | 'fetch'>

/** What one connection of a client is opened with. */
export interface OpenEventSourceOptions {
  /** The stream URL, whole: topics and ticket included. */
  url: string
  /** Where to resume from; '' for the start. */
  lastEventId: string
  /** The reconnection time until the server sends `retry:` (Herald's EventSource only). */
  retryMs: number
  /** Told when Herald's EventSource drops an event for breaking a limit. */
  onParseError(message: string): void
  /** Shown every message Herald's EventSource dispatches (a native one shows none). */
  onMessage(message: MessageEvent<string>): void
}

/** Opens one connection of a client. */
export type OpenEventSource = (open: OpenEventSourceOptions) => EventSourceLike

/**
 * Chooses the EventSource a client uses, once: the one given in `EventSource`, else the runtime's
 * own, else (or when `headers` or `fetch` are given) Herald's, watched so that every message is
 * seen. Returns the function that opens each connection with it. Throws `INVALID_OPTIONS` when the
 * options ask for Herald's and it is not there, so `createClient` fails at once, never at a reconnect.
 */
export function createOpener(options: EventSourceOptions): OpenEventSource {
  const init = { withCredentials: options.withCredentials ?? false }
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
    return ({ url, lastEventId }) => new given(withLastEventId(url, lastEventId), init)
  }
  const native = (globalThis as { EventSource?: EventSourceConstructor }).EventSource
  if (native !== undefined && !wantsFetch) {
    return ({ url, lastEventId }) => new native(withLastEventId(url, lastEventId), init)
  }
  const Herald = heraldGiven ? (given as typeof HeraldEventSource) : FallbackEventSource
  if (Herald === undefined) {
    const need = wantsFetch ? "options 'headers' and 'fetch' need" : 'this runtime has no EventSource: use'
    throw new HeraldError(
      'INVALID_OPTIONS',
      `${need} Herald's EventSource, which browser bundles leave out: pass { EventSource: HeraldEventSource }`,
    )
  }
  const { headers, fetch } = options
  return (open) =>
    openWatchedEventSource(
      Herald,
      open.url,
      {
        ...init,
        lastEventId: open.lastEventId,
        retryMs: open.retryMs,
        onParseError: open.onParseError,
        ...(headers === undefined ? {} : { headers }),
        ...(fetch === undefined ? {} : { fetch }),
      },
      open.onMessage,
    )
}

/** Whether `EventSource` is Herald's (or a subclass), which takes `headers` and `fetch`. */
function takesHeaders(EventSource: EventSourceConstructor): boolean {
  return (EventSource as { takesHeaders?: unknown }).takesHeaders === true
}

/**
 * Adds `lastEventId` to the URL of a first request: an EventSource has no way to send the
 * `Last-Event-ID` header before it has received an id itself. Herald's server reads either.
 */
function withLastEventId(url: string, lastEventId: string): string {
  if (lastEventId === '') return url
  const parsed = new URL(url, (globalThis as { location?: { href: string } }).location?.href)
  parsed.searchParams.set('lastEventId', lastEventId)
  return parsed.href
}
