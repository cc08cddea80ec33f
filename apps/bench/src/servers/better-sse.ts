// better-sse as its README shows it for Node's HTTP API (what Express runs on): a session per
// request, registered with one Channel, and `channel.broadcast(data, eventName, {eventId})`.
import { createServer } from 'node:http'
import { createChannel, createSession } from 'better-sse'
import { EVENT_NAME } from '../payload.ts'
import { heartbeatMs, runBenchServer } from '../server-harness.ts'

const channel = createChannel()

const http = createServer(async (req, res) => {
  if (req.method !== 'GET' || req.url !== '/events') {
    res.writeHead(404).end()
    return
  }
  const session = await createSession(req, res, { keepAlive: heartbeatMs() })
  channel.register(session)
})

await runBenchServer({
  path: '/events',
  http,
  broadcast: (payload) => channel.broadcast(payload, EVENT_NAME, { eventId: String(payload.seq) }),
  subscribers: () => channel.sessionCount,
})
