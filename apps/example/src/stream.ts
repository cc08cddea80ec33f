import type { TicketClaims, Tickets } from '@herald/server'
import { sse } from '@herald/server/koa'
import type { Context, Middleware } from 'koa'
import { isUser, mayRead } from './chat.ts'
import type { User } from './events.ts'
import type { ExampleChannel } from './server.ts'

/**
 * The `/events` route. With a `?ticket=` (from `POST /tickets`), the chat's stream: the ticket
 * says who the user is, the server joins the stream to `user:<name>`, and each room the page asks
 * for (`?topic=room:dev`, and named in the ticket) is allowed by `mayRead`. Without one, the public
 * stream of broadcasts (the clock, the name and age), as before the chat; any topic it asks for is
 * refused, since only a ticket says who is asking.
 *
 * A ticket is single use within the instance that verifies it. With `claim` (several instances on
 * one Redis), it is single use across all of them: a ticket another instance took is answered `401`.
 */
export function streamRoute(
  channel: ExampleChannel,
  tickets: Pick<Tickets, 'verify'>,
  claim?: (ticket: string) => Promise<boolean>,
): Middleware {
  const broadcasts = sse(channel)
  const chat = sse(channel, {
    tickets,
    topics: (ctx) => [`user:${ticketUser(ctx)}`],
    authorize: (ctx, topic) => mayRead(ticketUser(ctx), topic),
  })
  return async (ctx, next) => {
    const ticket = ctx.query['ticket']
    if (ticket === undefined) return broadcasts(ctx, next)
    if (claim !== undefined && typeof ticket === 'string' && !(await claim(ticket))) {
      ctx.status = 401
      ctx.body = 'ticket refused: already used'
      return
    }
    return chat(ctx, next)
  }
}

/** The user a verified ticket was issued to (`sse` puts its claims in `ctx.state.ticket`). */
function ticketUser(ctx: Context): User {
  const { user } = ctx.state['ticket'] as TicketClaims
  if (!isUser(user)) throw new Error(`a ticket for an unknown user: ${user}`) // only issued for users
  return user
}
