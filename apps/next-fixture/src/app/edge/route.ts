// The same stream on Next's edge runtime (Web APIs only, Node's refused): its own channel, as
// the edge sandbox shares no globals with the Node routes. Next 16 deprecates the edge runtime,
// but it is the strictest Web-only sandbox at hand.
import { createChannel } from '@herald/server'
import { sse } from '@herald/server/fetch'
import { fixtureEvents } from '../../events.ts'

export const runtime = 'edge'
export const dynamic = 'force-dynamic'

const channel = createChannel(fixtureEvents, { heartbeatMs: 1000, retryMs: 200 })
const stream = sse(channel)

/** The edge channel's stream; `?emit=<seq>` emits `n` instead, `?size` tells how many streams are open. */
export const GET = async (request: Request): Promise<Response> => {
  const query = new URL(request.url).searchParams
  const seq = query.get('emit')
  if (seq !== null) return Response.json({ id: channel.emit('n', { seq: Number(seq) }) })
  if (query.has('size')) return Response.json({ size: channel.size })
  return stream(request)
}
