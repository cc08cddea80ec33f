// Diagnostic: the baseline's hand-written loop behind a Koa + @koa/router route that takes the
// response over (`ctx.respond = false`), as `sse()` does: what Koa itself costs per stream.
import { createServer } from 'node:http'
import Router from '@koa/router'
import Koa from 'koa'
import { runBenchServer } from '../server-harness.ts'
import { createBroadcaster } from './hand-written.ts'

const { open, broadcast, subscribers } = createBroadcaster()

const router = new Router()
router.get('/events', (ctx) => {
  ctx.respond = false
  open(ctx.res)
})
const app = new Koa()
app.use(router.routes()).use(router.allowedMethods())

await runBenchServer({ path: '/events', http: createServer(app.callback()), broadcast, subscribers })
