import { createClient, createSharedClient, type HeraldClient } from '@herald/client'
import { type ExampleEvents, type ExampleTopic, events, type Room, type User } from './events.ts'

/** Who the server says is signed in (its cookie is HttpOnly: the page can neither read nor forge it). */
export async function signedInUser(): Promise<User | undefined> {
  const me = (await (await fetch('/me')).json()) as { user: User | null }
  return me.user ?? undefined
}

/**
 * How the page's tabs connect: `shared` (the default), one stream for all the tabs of the browser
 * (`createSharedClient`); `own` (`?tabs=own`), a stream per tab (`createClient`), for comparison.
 */
export type TabsMode = 'shared' | 'own'

/** The mode the page's URL asks for: `?tabs=own`, or shared. */
export function tabsMode(search: string): TabsMode {
  return new URLSearchParams(search).get('tabs') === 'own' ? 'own' : 'shared'
}

/**
 * Opens the page's stream. Signed out: the public stream, broadcasts only. Signed in: the chat's
 * rooms too (`rooms()` now), with a fresh single-use ticket before every connection naming the
 * topics that connection asks for. Shared, the tab holding the connection asks for the rooms of
 * every tab of the same user, and its ticket names them all; the tabs of another user (or signed
 * out) share a stream of their own, since one user's ticket must not carry another's tabs.
 */
export function openClient(
  user: User | undefined,
  rooms: () => Iterable<Room>,
  mode: TabsMode = 'shared',
): HeraldClient<ExampleEvents> {
  const topics = user === undefined ? [] : [...rooms()].map((room): ExampleTopic => `room:${room}`)
  const options = user === undefined ? {} : { topics, ticket }
  if (mode === 'own') return createClient(events, '/events', options)
  return createSharedClient(events, '/events', { ...options, name: `herald-example:${user ?? 'signed-out'}` })
}

/** Asks the server for a ticket naming `topics`: `POST /tickets?topic=room:lobby&…` as the signed-in user. */
async function ticket(topics: readonly ExampleTopic[]): Promise<string> {
  const query = new URLSearchParams(topics.map((topic) => ['topic', topic]))
  const response = await fetch(`/tickets?${query}`, { method: 'POST' })
  if (!response.ok) throw new Error(`POST /tickets answered ${response.status}: ${await response.text()}`)
  return ((await response.json()) as { ticket: string }).ticket
}

/** Posts JSON as the signed-in user; resolves to what went wrong (`403: …`), or `''`. */
export async function post(path: string, body: unknown): Promise<string> {
  const response = await fetch(path, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  })
  return response.ok ? '' : `${response.status}: ${await response.text()}`
}
