// The page of the code-splitting browser test, built by Vite: a client recording its events,
// errors and states on `window.split`.
import { defineEvents } from '@herald/schema'
import * as z from 'zod'
import { createClient } from './index.ts'

const events = defineEvents({ seq: z.number().int() })
const client = createClient(events, '/events')
const received: number[] = []
const errors: string[] = []
const states: string[] = [client.state]
client.on('seq', (seq) => received.push(seq))
client.onError((error) => errors.push(`${error.code}: ${error.message}`))
client.onState((state) => states.push(state))

// Vite's own signal that a chunk failed to load, which apps answer with a reload.
let preloadErrors = 0
window.addEventListener('vite:preloadError', () => preloadErrors++)

declare global {
  interface Window {
    split: { received: number[]; errors: string[]; states: string[]; preloadErrors(): number }
  }
}
window.split = { received, errors, states, preloadErrors: () => preloadErrors }
