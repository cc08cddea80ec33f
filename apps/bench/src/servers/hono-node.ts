// Diagnostic: the same Herald channel on the same Hono route and @hono/node-server, but given
// Node's own request and response (`c.env.incoming`, `c.env.outgoing`) through `channel.handle`
// instead of the Fetch adapter. What is left between this and hono-fetch is the ReadableStream
// bridge; what is left between this and herald is Hono against Koa.
import { createServer, type Server } from 'node:http'
import { defineEvents } from '@herald/schema'
import { createChannel } from '@herald/server'
import { createAdaptorServer, type HttpBindings } from '@hono/node-server'
import { RESPONSE_ALREADY_SENT } from '@hono/node-server/utils/response'
import { Hono } from 'hono'
import * as z from 'zod'
import { heartbeatMs, runBenchServer } from '../server-harness.ts'

const events = defineEvents({
  tick: z.object({ seq: z.number().int().positive(), t: z.number(), pad: z.string() }),
})
const channel = createChannel(events, { heartbeatMs: heartbeatMs() })

const app = new Hono<{ Bindings: HttpBindings }>()
app.get('/events', (c) => {
  channel.handle(c.env.incoming, c.env.outgoing)
  return RESPONSE_ALREADY_SENT
})

await runBenchServer({
  path: '/events',
  http: createAdaptorServer({ fetch: app.fetch, createServer }) as Server,
  broadcast: (payload) => channel.emit('tick', payload),
  subscribers: () => channel.size,
})
