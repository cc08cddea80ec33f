import { type ExampleTopic, ROOMS, type Room, USERS, type User } from './events.ts'

// Who may read what: the chat's whole access policy, used by the stream's `authorize` and by the
// endpoints that post into rooms.

/** Whether `name` is one of the demo users. */
export function isUser(name: unknown): name is User {
  return (USERS as readonly unknown[]).includes(name)
}

/** Whether `name` is one of the rooms. */
export function isRoom(name: unknown): name is Room {
  return (ROOMS as readonly unknown[]).includes(name)
}

/** Whether `user` may read (and post into) `room`: every room is open but `secret`, alice's only. */
export function mayEnter(user: User, room: Room): boolean {
  return room !== 'secret' || user === 'alice'
}

/**
 * Whether a client of `user` may ask for `topic`: a room it may enter. A `user:` topic is never
 * asked for: the server joins each stream to its own user's topic, and to no one else's.
 */
export function mayRead(user: User, topic: ExampleTopic): boolean {
  const [kind, name] = topic.split(':')
  return kind === 'room' && isRoom(name) && mayEnter(user, name)
}
