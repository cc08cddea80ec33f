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
    channel.handle(ctx.req, ctx.res)
  }
}
