// The same stream on Next's edge runtime (Web APIs only, Node's refused): its own channel, as
// the edge sandbox shares no globals with the Node routes. Next 16 deprecates the edge runtime,
// but it is the strictest Web-only sandbox at hand.
import { createChannel } from '@herald/server'
import { sse } from '@herald/server/fetch'
import { fixtureEvents } from '../../events.ts'

export const runtime = 'edge'
export const dynamic = 'force-dynamic'

// A stream may queue 256 KiB unsent before it is cut (the default is 1 MiB): the test fills it sooner.
const channel = createChannel(fixtureEvents, { heartbeatMs: 1000, retryMs: 200, maxBufferedBytes: 256 * 1024 })
const stream = sse(channel)

/**
 * The edge channel's stream; `?emit=<seq>` emits `n` instead, `?fill=<count>` emits that many
 * 64 KiB `blob`s, `?size` tells how many streams are open.
 */
export const GET = async (request: Request): Promise<Response> => {
  const query = new URL(request.url).searchParams
  const seq = query.get('emit')
  if (seq !== null) return Response.json({ id: channel.emit('n', { seq: Number(seq) }) })
  const fill = query.get('fill')
  if (fill !== null) {
    for (let n = 0; n < Number(fill); n++) channel.emit('blob', 'x'.repeat(64 * 1024))
    return Response.json({ size: channel.size })
  }
  if (query.has('size')) return Response.json({ size: channel.size })
  return stream(request)
}
