import type { Context } from 'koa'
import { isUser } from './chat.ts'
import type { User } from './events.ts'

// The demo's sign-in: pick a user, no password. The server remembers the choice in a cookie it
// signs (Koa's `app.keys`), so a page cannot claim to be someone else by editing it; HttpOnly keeps
// it from scripts, SameSite=Lax keeps it off other sites' requests (no cross-site POST carries it).
// A real application would check a password or an identity provider here, and nowhere else.

const COOKIE = 'herald-example-user'

/** The signed-in user of the request, from the signed cookie; `undefined` if none or forged. */
export function signedInUser(ctx: Context): User | undefined {
  const name = ctx.cookies.get(COOKIE, { signed: true })
  return isUser(name) ? name : undefined
}

/** Signs the browser in as `user` (sets the signed cookie). */
export function signIn(ctx: Context, user: User): void {
  ctx.cookies.set(COOKIE, user, { signed: true, httpOnly: true, sameSite: 'lax', overwrite: true })
}

/** Signs the browser out (clears the cookie). */
export function signOut(ctx: Context): void {
  ctx.cookies.set(COOKIE, null, { signed: true, httpOnly: true, sameSite: 'lax', overwrite: true })
}
