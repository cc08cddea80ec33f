// The contract of the fixture: the route handlers serve it, the test's client reads it.
import { defineEvents } from '@herald/schema'
import * as z from 'zod'

/** `n` carries the number of the emit, so the test can tell each event apart; `blob` fills queues. */
export const fixtureEvents = defineEvents({ n: z.object({ seq: z.int() }), blob: z.string() })
