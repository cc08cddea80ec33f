// The contract of the browser and server-rendering tests (two events and rooms), and its hooks.
import { defineEvents } from '@herald/schema'
import * as z from 'zod'
import { createHeraldHooks } from './index.ts'

/** The test contract. */
export const events = defineEvents({ age: z.number().int(), name: z.string() }, { topics: { room: z.int() } })

/** The provider and hooks bound to the test contract. */
export const hooks = createHeraldHooks(events)
