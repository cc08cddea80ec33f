import { type AnyEvents, HeraldError } from '@herald/schema'
import type { Context, Middleware } from 'koa'
import { functionOption, wholeNumberOption } from './options.ts'
import type { Tickets } from './tickets.ts'
import { requestedTopics, resolveTopics, type TopicAccess } from './topic-access.ts'
import type { Channel } from './types.ts'

/** Options of `sse`: which topics a stream joins, and how its client proves who it is. */
export interface SseOptions<TEvents extends AnyEvents> extends TopicAccess<TEvents, Context> {
  /**
   * Requires a stream ticket (`?ticket=`, from `tickets.issue`) on every stream request: a native
   * EventSource sends no headers, so this is how a browser stream authenticates without cookies.
   * A missing, forged, expired or reused ticket is answered `401`; a valid one's claims are put in
   * `ctx.state.ticket` (for `topics` and `authorize`), and the stream may join only its topics.
   */
  tickets?: Pick<Tickets, 'verify'> | undefined
}

/**
 * Koa middleware that serves `channel` as an SSE stream, e.g.
 * `router.get('/events', sse(channel, { topics, authorize }))`. It takes the response over from
 * Koa (`ctx.respond = false`), so later middleware and response compression never touch the stream.
 */
export function sse<TEvents extends AnyEvents>(
  channel: Pick<Channel<TEvents>, 'handle' | 'events'>,
  options: SseOptions<TEvents> = {},
): Middleware {
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
  return (ctx) => {
    // A client going away mid-stream is how every stream ends, not an application error: keep
    // those resets out of Koa's error log, and pass anything else on.
    const onerror = ctx.onerror.bind(ctx)
    ctx.onerror = (error) => {
      if (!isDisconnect(error)) onerror(error)
    }
    const requested = requestedTopics(ctx.req.url)
    if (!usesTopics && requested.length === 0) {
      ctx.respond = false
      channel.handle(ctx.req, ctx.res)
      return
    }
    let allowed: ReadonlySet<string> | undefined
    if (options.tickets !== undefined) {
      const ticket = new URLSearchParams(ctx.querystring).get('ticket')
      try {
        const claims = options.tickets.verify(ticket ?? undefined)
        ctx.state['ticket'] = claims
        allowed = new Set(claims.topics)
      } catch (error) {
        ctx.status = 401
        ctx.body = error instanceof Error ? error.message : 'ticket refused'
        return
      }
    }
    const report = (error: unknown) => ctx.app.emit('error', error, ctx)
    ctx.respond = false
    // Decided once the request holds its slot: requests waiting on `authorize` count toward the
    // channel's connection limits. An error (an undeclared topic from `topics`) is a 500, reported.
    channel.handle(ctx.req, ctx.res, () =>
      resolveTopics(channel.events, ctx, access, { requested, allowed, onError: report }).catch((error: unknown) => {
        report(error)
        throw error
      }),
    )
  }
}

const DISCONNECT_CODES = new Set(['ECONNRESET', 'EPIPE', 'ECONNABORTED', 'ERR_STREAM_PREMATURE_CLOSE'])

function isDisconnect(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code
  return typeof code === 'string' && DISCONNECT_CODES.has(code)
}
