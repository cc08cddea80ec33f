// Herald's Fetch adapter on Hono, as its docs show it: `sse(channel)` from `@herald/server/fetch`
// behind a Hono route, served on Node by @hono/node-server. The channel is the one `herald.ts`
// builds (zod schema, validation, ids and history on); only the way out to the socket differs:
// every stream is a ReadableStream that @hono/node-server reads and writes to its response.
import { createServer, type Server } from 'node:http'
import { defineEvents } from '@herald/schema'
import { createChannel } from '@herald/server'
import { sse } from '@herald/server/fetch'
import { createAdaptorServer } from '@hono/node-server'
import { Hono } from 'hono'
import * as z from 'zod'
import { heartbeatMs, runBenchServer } from '../server-harness.ts'

const events = defineEvents({
  tick: z.object({ seq: z.number().int().positive(), t: z.number(), pad: z.string() }),
})
const channel = createChannel(events, { heartbeatMs: heartbeatMs() })
const stream = sse(channel)

const app = new Hono()
app.get('/events', (c) => stream(c.req.raw))

await runBenchServer({
  path: '/events',
  // What `serve({ fetch: app.fetch, port })` builds, left for the harness to listen with.
  http: createAdaptorServer({ fetch: app.fetch, createServer }) as Server,
  broadcast: (payload) => channel.emit('tick', payload),
  subscribers: () => channel.size,
})
