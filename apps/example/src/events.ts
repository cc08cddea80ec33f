import { defineEvents } from '@herald/schema'
import * as z from 'zod'

/** The example's contract, shared by the server, the web page and the Node client. */
export const events = defineEvents({
  /** The server's clock, every second. */
  time: z.date(),
  /** Someone's name, then their age a second later (the seed tutorial's two-event demo). */
  name: z.string().min(1),
  age: z.number().int().nonnegative(),
})

export type ExampleEvents = typeof events
