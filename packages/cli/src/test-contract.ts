// The contract `herald tail` loads in this package's tests, as a user's `--events ./src/events.ts`.
import { defineEvents, text } from '@herald/schema'
import * as z from 'zod'

/** Events of every kind the CLI prints: text, numbers, Dates, objects, a bigint codec. */
export const events = defineEvents(
  {
    name: z.string(),
    age: z.number().int(),
    time: z.date(),
    user: z.object({ name: z.string(), joined: z.date(), tags: z.array(z.string()) }),
    note: text(z.string()),
  },
  { topics: { room: z.int().positive() } },
)

/** Not a contract: the CLI must skip it when it looks for the module's only contract. */
export const port = 3000
