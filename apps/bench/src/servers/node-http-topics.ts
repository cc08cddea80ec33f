// A diagnostic for the topic benchmark: a hand-written node:http server with a map from topic to
// responses, each event serialized once and written to its topic's responses (or to all). No
// validation, ids or history: what routing events by topic costs Node itself, so the benchmark can
// tell Herald's costs from those of writing to many sockets.
import { createServer, type ServerResponse } from 'node:http'
import { EVENT_NAME, type TickPayload } from '../payload.ts'
import { runTopicServer } from '../topic-server-harness.ts'

const all = new Set<ServerResponse>()
const byTopic = new Map<string, Set<ServerResponse>>()
const frameOf = (payload: TickPayload) =>
  Buffer.from(`id: ${payload.seq}\nevent: ${EVENT_NAME}\ndata: ${JSON.stringify(payload)}\n\n`)

const http = createServer((req, res) => {
  const url = new URL(req.url ?? '/', 'http://localhost')
  if (req.method !== 'GET' || url.pathname !== '/events') {
    res.writeHead(404).end()
    return
  }
  const topics = url.searchParams.getAll('topic')
  res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' })
  res.write(': ok\n\n')
  all.add(res)
  for (const topic of topics) {
    const streams = byTopic.get(topic)
    if (streams === undefined) byTopic.set(topic, new Set([res]))
    else streams.add(res)
  }
  res.once('close', () => {
    all.delete(res)
    for (const topic of topics) byTopic.get(topic)?.delete(res)
  })
})

await runTopicServer({
  http,
  broadcast(payload) {
    const frame = frameOf(payload)
    for (const res of all) res.write(frame)
  },
  emitTo(topic, payload) {
    const frame = frameOf(payload)
    for (const res of byTopic.get(topic) ?? []) res.write(frame)
  },
  subscribers: () => all.size,
})
