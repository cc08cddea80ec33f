// What every framework adapter (Koa's `sse`, the Fetch adapter's) does with a stream request
// before the channel takes it: check the adapter's options once, verify the request's ticket,
// and decide its topics once it holds its slot under the connection limits.
import { type AnyEvents, HeraldError } from '@herald/schema'
import { describe, functionOption, wholeNumberOption } from './options.ts'
import type { TicketClaims, Tickets } from './tickets.ts'
import { requestedTopics, resolveTopics, type TopicAccess } from './topic-access.ts'
import type { Channel, StreamAccess } from './types.ts'

/** Options of an adapter: which topics a stream joins, and how its client proves who it is. */
export interface StreamAccessOptions<TEvents extends AnyEvents, TContext> extends TopicAccess<TEvents, TContext> {
  /**
   * Requires a stream ticket (`?ticket=`, from `tickets.issue`) on every stream request: a native
   * EventSource sends no headers, so this is how a browser stream authenticates without cookies.
   * A missing, forged, expired or reused ticket is answered `401`; a valid one's claims are given
   * to `topics` and `authorize`, and the stream may join only its topics.
   */
  tickets?: Pick<Tickets, 'verify'> | undefined
}

/** One stream request, as an adapter planned it. */
export type StreamPlan<TContext> =
  /** Refused before the channel sees it: the ticket is missing or bad (`401`, with `message`). */
  | { readonly refused: string }
  | {
      /** The ticket's claims, when tickets are required. */
      readonly ticket: TicketClaims | undefined
      /** What to pass to `channel.handle`: the topics, decided once the request is admitted. */
      readonly access: (context: TContext) => StreamAccess | undefined
    }

/**
 * Checks an adapter's channel and options (throws `INVALID_OPTIONS`) and returns how it plans
 * each request from its target (`url`, path and query) and method. `access(context)` decides the topics with `context`
 * (the adapter's: Koa's `ctx`), reporting an `authorize` that throws and an undeclared topic from
 * `topics` to `onError`.
 */
export function planStreams<TEvents extends AnyEvents, TContext>(
  channel: Pick<Channel<TEvents>, 'handle' | 'events'>,
  options: StreamAccessOptions<TEvents, TContext>,
  onError: (error: unknown, context: TContext) => void,
): (url: string | undefined, method: string | undefined) => StreamPlan<TContext> {
  const candidate = channel as Partial<typeof channel> | null | undefined
  if (typeof candidate?.handle !== 'function' || !(candidate.events?.specs instanceof Map)) {
    throw new HeraldError(
      'INVALID_OPTIONS',
      `sse() expects a channel from createChannel(), received ${describe(channel)}`,
    )
  }
  if (typeof options !== 'object' || options === null) {
    throw new HeraldError('INVALID_OPTIONS', `sse() options must be an object, received ${describe(options)}`)
  }
  const { events } = channel
  // Checked once here, not at every request: a bad maxTopics (NaN) would otherwise lift the limit.
  functionOption('topics', options.topics)
  functionOption('authorize', options.authorize)
  if (options.tickets !== undefined && typeof options.tickets?.verify !== 'function') {
    throw new HeraldError(
      'INVALID_OPTIONS',
      "option 'tickets' must be what createTickets() returns (it has no verify())",
    )
  }
  const access = { ...options, maxTopics: wholeNumberOption('maxTopics', options.maxTopics, 100) }
  const usesTopics = options.topics !== undefined || options.authorize !== undefined || options.tickets !== undefined
  return (url, method) => {
    const requested = requestedTopics(url)
    // Only a GET opens a stream: anything else is answered by the channel (HEAD, 405), and spends
    // no single-use ticket.
    if (method !== 'GET' || (!usesTopics && requested.length === 0))
      return { ticket: undefined, access: () => undefined }
    let ticket: TicketClaims | undefined
    if (options.tickets !== undefined) {
      const query = url?.indexOf('?') ?? -1
      const sent = query === -1 ? null : new URLSearchParams(url?.slice(query + 1)).get('ticket')
      try {
        ticket = options.tickets.verify(sent ?? undefined)
      } catch (error) {
        return { refused: error instanceof Error ? error.message : 'ticket refused' }
      }
    }
    const allowed = ticket === undefined ? undefined : new Set(ticket.topics)
    return {
      ticket,
      access: (context) => () =>
        resolveTopics(events, context, access, {
          requested,
          allowed,
          onError: (error) => onError(error, context),
        }).catch((error: unknown) => {
          onError(error, context)
          throw error
        }),
    }
  }
}
