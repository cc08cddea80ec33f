import { HeraldError } from '@herald/schema'

// The errors a client reports for its connection, worded for logs: `shown` is
// the stream URL without its credentials, and `scrub` masks them in text that comes from
// elsewhere (a fetch error's message).

type ErrorEventLike = Event & { readonly message?: string; readonly status?: number }

/**
 * The error for a connection the EventSource is about to reopen by itself: `CONNECTION_LOST`, or
 * `OVER_CAPACITY` with the status when Herald's EventSource saw Herald's turn-away. With `waitMs`,
 * the client closed that EventSource and reconnects itself after `waitMs`: the message says so.
 */
export function droppedError(
  event: Event,
  shown: string,
  scrub: (text: string) => string,
  waitMs?: number,
): HeraldError {
  const { status } = event as ErrorEventLike
  const said = (event as ErrorEventLike).message
  const reason = waitMs === undefined ? said : said?.replace(/retrying in \d+ ms$/, `retrying in ${waitMs} ms`)
  // A status while reconnecting is Herald's turn-away, seen by Herald's EventSource.
  if (status === undefined) {
    const why = scrub(reason ?? 'the connection dropped; reconnecting')
    return new HeraldError('CONNECTION_LOST', `${shown}: ${why}`)
  }
  return new HeraldError('OVER_CAPACITY', `${shown}: ${scrub(reason ?? 'the server is busy')}`, { status })
}

/**
 * The error for a connection closed for good, `CONNECTION_FAILED` with the status when the server
 * answered; none for an HTTP 204, the server's way of saying the stream is over.
 */
export function failedError(event: Event, shown: string): HeraldError | undefined {
  const { status } = event as ErrorEventLike
  if (status === 204) return undefined
  const reason = status === undefined ? 'the connection failed' : `HTTP ${status}`
  return new HeraldError('CONNECTION_FAILED', `${shown}: ${reason}; not retrying`, { status })
}
