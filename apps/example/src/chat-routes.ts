import { HeraldError, topicProblem } from '@herald/schema'
import type { EventId, Tickets } from '@herald/server'
import type Router from '@koa/router'
import type { Context } from 'koa'
import * as z from 'zod'
import { isUser, mayEnter } from './chat.ts'
import { events, ROOMS, USERS, type User } from './events.ts'
import { readJson } from './read-json.ts'
import type { ExampleChannel } from './server.ts'
import { signedInUser, signIn, signOut } from './session.ts'

const say = z.object({ room: z.enum(ROOMS), text: z.string().trim().min(1).max(500) })
const notice = z.object({ to: z.enum(USERS), text: z.string().trim().min(1).max(500) })

/**
 * The chat's endpoints: sign in and out (`POST /login?as=alice`, `POST /logout`), who is signed in
 * (`GET /me`), a stream ticket (`POST /tickets?topic=room:lobby&…`), a message into a room
 * (`POST /say`) and a notice to one user (`POST /notice`). All but `/login` act as the user of the
 * signed cookie, and answer `401` without one.
 */
export function addChatRoutes(router: Router, channel: ExampleChannel, tickets: Pick<Tickets, 'issue'>): void {
  router.post('/login', (ctx) => {
    const name = ctx.query['as']
    if (!isUser(name)) return ctx.throw(400, `sign in as one of: ${USERS.join(', ')}`)
    signIn(ctx, name)
    ctx.redirect('/')
    ctx.status = 303
  })

  router.post('/logout', (ctx) => {
    signOut(ctx)
    ctx.redirect('/')
    ctx.status = 303
  })

  router.get('/me', (ctx) => {
    ctx.set('Cache-Control', 'no-store')
    ctx.body = { user: signedInUser(ctx) ?? null }
  })

  // A ticket for the topics the page will ask for: bound to the user, good for one connection
  // within 30 s. It grants nothing by itself: the stream still asks `authorize` about each room.
  router.post('/tickets', (ctx) => {
    const user = requireUser(ctx)
    const topics = [ctx.query['topic'] ?? []].flat()
    const bad = topics.find((topic) => topicProblem(events, topic) !== undefined)
    if (bad !== undefined || topics.length > ROOMS.length) return ctx.throw(400, 'not topics of this chat')
    ctx.set('Cache-Control', 'no-store')
    ctx.body = { ticket: tickets.issue({ user, topics }) }
  })

  router.post('/say', async (ctx) => {
    const user = requireUser(ctx)
    const body = say.safeParse(await readJson(ctx))
    if (!body.success) return ctx.throw(400, 'expected JSON { room, text }')
    const { room, text } = body.data
    if (!mayEnter(user, room)) return ctx.throw(403, `${user} may not post in ${room}`)
    await published(ctx, channel.to(`room:${room}`).emit('message', { room, from: user, text, at: new Date() }))
    ctx.status = 204
  })

  router.post('/notice', async (ctx) => {
    const user = requireUser(ctx)
    const body = notice.safeParse(await readJson(ctx))
    if (!body.success) return ctx.throw(400, 'expected JSON { to, text }')
    await published(ctx, channel.to(`user:${body.data.to}`).emit('notice', { from: user, text: body.data.text }))
    ctx.status = 204
  })
}

/**
 * Waits for an emit to be stored: at once in memory; on Redis, once Redis has it. An emit Redis did
 * not take (`ENGINE_UNAVAILABLE`, and it is never delivered later) is answered `503`: try again.
 */
async function published(ctx: Context, id: EventId | Promise<EventId>): Promise<void> {
  try {
    await id
  } catch (error) {
    if (error instanceof HeraldError && error.code === 'ENGINE_UNAVAILABLE') {
      ctx.set('Retry-After', '2')
      return ctx.throw(503, 'not sent: the server cannot reach its event log; try again')
    }
    throw error
  }
}

/** The signed-in user; throws `401` when there is none. */
function requireUser(ctx: Context): User {
  const user = signedInUser(ctx)
  if (user === undefined) return ctx.throw(401, 'sign in first')
  return user
}
