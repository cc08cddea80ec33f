import { createClient, type HeraldClient } from '@herald/client'
import { type ExampleEvents, type ExampleTopic, events, type Room, type User } from './events.ts'

/** Who the server says is signed in (its cookie is HttpOnly: the page can neither read nor forge it). */
export async function signedInUser(): Promise<User | undefined> {
  const me = (await (await fetch('/me')).json()) as { user: User | null }
  return me.user ?? undefined
}

/**
 * Opens the page's stream. Signed out: the public stream, broadcasts only. Signed in: the chat's
 * rooms too (`rooms()` now), with a fresh single-use ticket before every connection naming the
 * rooms `rooms()` returns then, so a room joined later is in the next connection's ticket.
 */
export function openClient(user: User | undefined, rooms: () => Iterable<Room>): HeraldClient<ExampleEvents> {
  if (user === undefined) return createClient(events, '/events')
  const topics = [...rooms()].map((room): ExampleTopic => `room:${room}`)
  return createClient(events, '/events', { topics, ticket: () => ticket(rooms()) })
}

async function ticket(rooms: Iterable<Room>): Promise<string> {
  const query = new URLSearchParams([...rooms].map((room) => ['topic', `room:${room}`]))
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
