// A diagnostic variant, not one of the five compared by default: the same Herald channel served
// by `channel.handle(req, res)` on plain node:http, so a report can tell Herald's own costs from
// Koa's (`--servers node-http,herald,herald-http`).
import { createServer } from 'node:http'
import { defineEvents } from '@herald/schema'
import { createChannel } from '@herald/server'
import * as z from 'zod'
import { heartbeatMs, runBenchServer } from '../server-harness.ts'

const events = defineEvents({
  tick: z.object({ seq: z.number().int().positive(), t: z.number(), pad: z.string() }),
})
const channel = createChannel(events, { heartbeatMs: heartbeatMs() })

const http = createServer((req, res) => {
  if (req.method === 'GET' && req.url === '/events') channel.handle(req, res)
  else res.writeHead(404).end()
})

await runBenchServer({
  path: '/events',
  http,
  broadcast: (payload) => channel.emit('tick', payload),
  subscribers: () => channel.size,
})
