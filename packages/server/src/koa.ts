import type { AnyEvents } from '@herald/schema'
import type { Middleware } from 'koa'
import type { Channel } from './types.ts'

/**
 * Koa middleware that serves `channel` as an SSE stream, e.g.
 * `router.get('/events', sse(channel))`. It takes the response over from Koa (`ctx.respond =
 * false`), so later middleware and response compression never touch the stream.
 */
export function sse(channel: Pick<Channel<AnyEvents>, 'handle'>): Middleware {
  return (ctx) => {
    ctx.respond = false
    // A client going away mid-stream is how every stream ends, not an application error: keep
    // those resets out of Koa's error log, and pass anything else on.
    const onerror = ctx.onerror.bind(ctx)
    ctx.onerror = (error) => {
      if (!isDisconnect(error)) onerror(error)
    }
    channel.handle(ctx.req, ctx.res)
  }
}

const DISCONNECT_CODES = new Set(['ECONNRESET', 'EPIPE', 'ECONNABORTED', 'ERR_STREAM_PREMATURE_CLOSE'])

function isDisconnect(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code
  return typeof code === 'string' && DISCONNECT_CODES.has(code)
}
