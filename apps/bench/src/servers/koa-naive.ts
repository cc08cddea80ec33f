// A naive Koa SSE handler, as found in tutorials: a PassThrough per client as `ctx.body`, each
// event serialized again for every client, and a heartbeat timer per connection.
import { createServer } from 'node:http'
import { PassThrough } from 'node:stream'
import Router from '@koa/router'
import Koa from 'koa'
import { EVENT_NAME, type TickPayload } from '../payload.ts'
import { heartbeatMs, runBenchServer } from '../server-harness.ts'

const clients = new Set<PassThrough>()

const router = new Router()
router.get('/events', (ctx) => {
  ctx.req.socket.setTimeout(0)
  ctx.req.socket.setNoDelay(true)
  ctx.req.socket.setKeepAlive(true)
  ctx.set({ 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache', Connection: 'keep-alive' })
  const stream = new PassThrough()
  ctx.status = 200
  ctx.body = stream
  stream.write(': ok\n\n')
  clients.add(stream)
  const heartbeat = setInterval(() => stream.write(':\n\n'), heartbeatMs())
  ctx.res.once('close', () => {
    clearInterval(heartbeat)
    clients.delete(stream)
    stream.end()
  })
})
const app = new Koa()
app.use(router.routes()).use(router.allowedMethods())
// Clients vanishing (the load generator exits) reset their sockets; Koa would log each one.
app.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code !== 'ECONNRESET' && error.code !== 'EPIPE') process.stderr.write(`koa-naive: ${error.stack}\n`)
})

await runBenchServer({
  path: '/events',
  http: createServer(app.callback()),
  broadcast(payload: TickPayload) {
    for (const stream of clients) {
      stream.write(`id: ${payload.seq}\nevent: ${EVENT_NAME}\ndata: ${JSON.stringify(payload)}\n\n`)
    }
  },
  subscribers: () => clients.size,
})
