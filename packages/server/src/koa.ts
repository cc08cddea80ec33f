import type { AnyEvents } from '@herald/schema'
import type { Context, Middleware } from 'koa'
import { planStreams, type StreamAccessOptions } from './stream-access.ts'
import type { Channel } from './types.ts'

/**
 * Options of `sse`: which topics a stream joins (`topics` and `authorize` get Koa's `ctx`), and
 * `tickets`, whose claims are put in `ctx.state.ticket` before they run.
 */
export interface SseOptions<TEvents extends AnyEvents> extends StreamAccessOptions<TEvents, Context> {}

/**
 * Koa middleware that serves `channel` as an SSE stream, e.g.
 * `router.get('/events', sse(channel, { topics, authorize }))`. It takes the response over from
 * Koa (`ctx.respond = false`), so later middleware and response compression never touch the stream.
 */
export function sse<TEvents extends AnyEvents>(
  channel: Pick<Channel<TEvents>, 'handle' | 'events'>,
  options: SseOptions<TEvents> = {},
): Middleware {
  // An `authorize` that throws, or an undeclared topic from `topics`, goes to the app's error log.
  const plan = planStreams<TEvents, Context>(channel, options, (error, ctx) => ctx.app.emit('error', error, ctx))
  return (ctx) => {
    // A client going away mid-stream is how every stream ends, not an application error: keep
    // those resets out of Koa's error log, and pass anything else on.
    const onerror = ctx.onerror.bind(ctx)
    ctx.onerror = (error) => {
      if (!isDisconnect(error)) onerror(error)
    }
    const planned = plan(ctx.req.url, ctx.req.method)
    if ('refused' in planned) {
      ctx.status = 401
      ctx.body = planned.refused
      return
    }
    if (planned.ticket !== undefined) ctx.state['ticket'] = planned.ticket
    ctx.respond = false
    // Decided once the request holds its slot: requests waiting on `authorize` count toward the
    // channel's connection limits. An error (an undeclared topic from `topics`) is a 500, reported.
    channel.handle(ctx.req, ctx.res, planned.access(ctx))
  }
}

const DISCONNECT_CODES = new Set(['ECONNRESET', 'EPIPE', 'ECONNABORTED', 'ERR_STREAM_PREMATURE_CLOSE'])

function isDisconnect(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code
  return typeof code === 'string' && DISCONNECT_CODES.has(code)
}
