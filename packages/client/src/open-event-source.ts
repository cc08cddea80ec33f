import type { EventSourceLike } from './event-source.ts'
import type { EventSourceChoice, EventSourceOptions } from './event-source-choice.ts'
import { openWatchedEventSource } from './watched-event-source.ts'

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

/** Returns the function that opens each connection of a client with the EventSource it chose. */
export function createOpener(choice: EventSourceChoice, options: EventSourceOptions): OpenEventSource {
  const init = { withCredentials: options.withCredentials ?? false }
  if (!choice.herald) {
    const { EventSource } = choice
    return ({ url, lastEventId }) => new EventSource(withLastEventId(url, lastEventId), init)
  }
  const { headers, fetch } = options
  return (open) =>
    openWatchedEventSource(
      choice.EventSource,
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
