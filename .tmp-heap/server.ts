import { writeHeapSnapshot } from 'node:v8'
import http from 'node:http'
import { defineEvents } from '@herald/schema'
import { createChannel } from '@herald/server'
import { sse } from '@herald/server/koa'
import Router from '@koa/router'
import Koa from 'koa'
import { z } from 'zod'
const mode = process.argv[2]
const channel = createChannel(defineEvents({ n: z.number() }))
let server: http.Server
if (mode === 'koa') {
  const app = new Koa(); const router = new Router(); router.get('/events', sse(channel)); app.use(router.routes())
  server = app.listen(4555)
} else if (mode === 'koabare') {
  const app = new Koa(); app.use(sse(channel)); server = app.listen(4555)
} else {
  server = http.createServer((req, res) => channel.handle(req, res)).listen(4555)
}
process.on('message', (m: string) => {
  globalThis.gc?.(); globalThis.gc?.()
  const file = writeHeapSnapshot(`/work/main/.tmp-heap/${mode}-${m}.heapsnapshot`)
  process.send?.(file)
})
process.send?.('ready')
