// The baseline: a hand-written node:http broadcast loop. Each event is serialized once into one
// Buffer and that Buffer is written to every response; one shared timer sends heartbeats.
import { createServer, type ServerResponse } from 'node:http'
import { EVENT_NAME, type TickPayload } from '../payload.ts'
import { heartbeatMs, runBenchServer } from '../server-harness.ts'

const clients = new Set<ServerResponse>()
const HEARTBEAT = Buffer.from(':\n\n')

const http = createServer((req, res) => {
  if (req.method !== 'GET' || req.url !== '/events') {
    res.writeHead(404).end()
    return
  }
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache',
    connection: 'keep-alive',
  })
  res.write(': ok\n\n')
  clients.add(res)
  res.once('close', () => clients.delete(res))
})

setInterval(() => {
  for (const res of clients) res.write(HEARTBEAT)
}, heartbeatMs()).unref()

await runBenchServer({
  path: '/events',
  http,
  broadcast(payload: TickPayload) {
    const frame = Buffer.from(`id: ${payload.seq}\nevent: ${EVENT_NAME}\ndata: ${JSON.stringify(payload)}\n\n`)
    for (const res of clients) res.write(frame)
  },
  subscribers: () => clients.size,
})
