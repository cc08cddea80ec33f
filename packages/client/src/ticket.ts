import { HeraldError } from '@herald/schema'

/** The `ticket` option: returns a fresh stream ticket, or a promise of one. */
export type TicketSource = () => string | Promise<string>

/**
 * Calls `ticket` for a new connection. Resolves to the ticket; rejects with a `CONNECTION_LOST`
 * error saying why (`ticket` threw or rejected, or returned no non-empty string), worded with
 * `shown` and `scrub` as the client's other errors.
 */
export async function fetchTicket(
  ticket: TicketSource,
  shown: string,
  scrub: (text: string) => string,
): Promise<string> {
  let value: unknown
  try {
    value = await ticket()
  } catch (error) {
    // Not String(error): an object without a string form would throw here.
    const why = error instanceof Error ? error.message : typeof error === 'string' ? error : typeof error
    throw new HeraldError('CONNECTION_LOST', `${shown}: the ticket function failed: ${scrub(why)}; retrying`, {
      cause: error,
    })
  }
  if (typeof value === 'string' && value !== '') return value
  throw new HeraldError('CONNECTION_LOST', `${shown}: the ticket function returned no ticket; retrying`)
}
