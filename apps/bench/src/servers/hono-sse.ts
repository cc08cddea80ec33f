// Hono's own SSE helper, as a Hono user writes a broadcast with it: one `streamSSE` per client,
// subscribed to an in-process EventEmitter; each emit validates the payload once with the same
// zod schema as Herald's (to be fair: Herald validates), then every stream serializes it again
// (`JSON.stringify`) and writes it with `stream.writeSSE({ event, data, id })`. A timer per stream
// sends heartbeats. No history, no resume: less work than Herald does.
import { EventEmitter } from 'node:events'
import { createServer, type Server } from 'node:http'
import { createAdaptorServer } from '@hono/node-server'
import { Hono } from 'hono'
import { streamSSE } from 'hono/streaming'
import * as z from 'zod'
import { EVENT_NAME, type TickPayload } from '../payload.ts'
import { heartbeatMs, runBenchServer } from '../server-harness.ts'

const tick = z.object({ seq: z.number().int().positive(), t: z.number(), pad: z.string() })
const emitter = new EventEmitter()
emitter.setMaxListeners(0)

const app = new Hono()
app.get('/events', (c) =>
  streamSSE(c, async (stream) => {
    const send = (payload: TickPayload) =>
      stream.writeSSE({ event: EVENT_NAME, data: JSON.stringify(payload), id: String(payload.seq) })
    const heartbeat = setInterval(() => stream.write(':\n\n'), heartbeatMs())
    await stream.write(': ok\n\n')
    emitter.on(EVENT_NAME, send)
    // The callback's end closes the stream: hold it open until the client leaves.
    await new Promise<void>((resolve) => stream.onAbort(resolve))
    clearInterval(heartbeat)
    emitter.off(EVENT_NAME, send)
  }),
)

await runBenchServer({
  path: '/events',
  http: createAdaptorServer({ fetch: app.fetch, createServer }) as Server,
  broadcast: (payload) => emitter.emit(EVENT_NAME, tick.parse(payload)),
  subscribers: () => emitter.listenerCount(EVENT_NAME),
})
