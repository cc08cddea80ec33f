import { defineEvents } from '@herald/schema'
import * as z from 'zod'

/** The contract of the shared-client browser test: numbered messages, in rooms and for users. */
export const sharedEvents = defineEvents(
  { n: z.object({ seq: z.int() }) },
  { topics: { room: z.int().positive(), user: z.string().regex(/^[a-z0-9]+$/) } },
)
