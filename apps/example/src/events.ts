import { defineEvents, type Topic } from '@herald/schema'
import * as z from 'zod'

/** The chat's demo users: anyone may sign in as either (see `session.ts`). */
export const USERS = ['alice', 'bob'] as const

/** The chat's rooms; `secret` is alice's only (see `mayRead` in `chat.ts`). */
export const ROOMS = ['lobby', 'dev', 'secret'] as const

/** One of the demo users. */
export type User = (typeof USERS)[number]

/** One of the chat's rooms. */
export type Room = (typeof ROOMS)[number]

/** The example's contract, shared by the server, the web page and the Node client. */
export const events = defineEvents(
  {
    /** The server's clock, every second: a broadcast, to every stream. */
    time: z.date(),
    /** Someone's name, then their age a second later (the seed tutorial's two-event demo). */
    name: z.string().min(1),
    age: z.number().int().nonnegative(),
    /** A chat message, sent to its room's topic (`room:lobby`). */
    message: z.object({ room: z.enum(ROOMS), from: z.string().min(1), text: z.string().min(1), at: z.date() }),
    /** A notification for one user, sent to their own topic (`user:alice`). */
    notice: z.object({ from: z.string().min(1), text: z.string().min(1) }),
  },
  {
    topics: {
      /** A user's own feed: joined by the server for the signed-in user, never asked for. */
      user: z.enum(USERS),
      /** A chat room: asked for by the page, each allowed by `authorize`. */
      room: z.enum(ROOMS),
    },
  },
)

export type ExampleEvents = typeof events

/** A topic of the example: `user:alice`, `room:lobby`, … */
export type ExampleTopic = Topic<ExampleEvents>
