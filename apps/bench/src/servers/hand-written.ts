// The hand-written broadcast loop of the baseline: each event serialized once into one Buffer,
// that Buffer written to every response, one shared timer for heartbeats.
import type { ServerResponse } from 'node:http'
import { EVENT_NAME, type TickPayload } from '../payload.ts'
import { heartbeatMs } from '../server-harness.ts'

const HEARTBEAT = Buffer.from(':\n\n')

/** The open responses and the loop that writes to them. */
export function createBroadcaster() {
  const clients = new Set<ServerResponse>()
  setInterval(() => {
    for (const res of clients) res.write(HEARTBEAT)
  }, heartbeatMs()).unref()
  return {
    /** Sends the stream's head and keeps `res` until it closes. */
    open(res: ServerResponse) {
      res.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache',
        connection: 'keep-alive',
      })
      res.write(': ok\n\n')
      clients.add(res)
      res.once('close', () => clients.delete(res))
    },
    broadcast(payload: TickPayload) {
      const frame = Buffer.from(`id: ${payload.seq}\nevent: ${EVENT_NAME}\ndata: ${JSON.stringify(payload)}\n\n`)
      for (const res of clients) res.write(frame)
    },
    subscribers: () => clients.size,
  }
}
