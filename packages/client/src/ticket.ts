import { HeraldError } from '@herald/schema'
import { reasonOf } from './reason.ts'
import type { TicketFunction } from './types.ts'

/**
 * Calls `ticket` for a new connection, with the topics that connection will ask for. Resolves to
 * the ticket; rejects with a `CONNECTION_LOST` error saying why (`ticket` threw or rejected, or
 * returned no non-empty string), worded with `shown` and `scrub` as the client's other errors.
 */
export async function fetchTicket<TTopic extends string>(
  ticket: TicketFunction<TTopic>,
  topics: readonly TTopic[],
  shown: string,
  scrub: (text: string) => string,
): Promise<string> {
  let value: unknown
  try {
    // A frozen copy: the function may keep it, and cannot change the client's own list.
    value = await ticket(Object.freeze([...topics]))
  } catch (error) {
    throw new HeraldError(
      'CONNECTION_LOST',
      `${shown}: the ticket function failed: ${scrub(reasonOf(error))}; retrying`,
      {
        cause: error,
      },
    )
  }
  if (typeof value === 'string' && value !== '') return value
  throw new HeraldError('CONNECTION_LOST', `${shown}: the ticket function returned no ticket; retrying`)
}
