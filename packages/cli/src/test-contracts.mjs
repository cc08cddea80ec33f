// A JavaScript module with two contracts: `herald tail` needs `--export` to choose one.
import { defineEvents } from '@herald/schema'
import * as z from 'zod'

export const chat = defineEvents({ message: z.string() })
export const clock = defineEvents({ tick: z.number() })
