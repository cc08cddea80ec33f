// tRPC v11 SSE subscriptions as its docs show them: an EventEmitter, `on()` inside an async
// generator procedure, `tracked()` ids, pings on, served by the standalone HTTP adapter.
import { EventEmitter, on } from 'node:events'
import { initTRPC, tracked } from '@trpc/server'
import { createHTTPServer } from '@trpc/server/adapters/standalone'
import { EVENT_NAME, type TickPayload } from '../payload.ts'
import { heartbeatMs, runBenchServer } from '../server-harness.ts'

const ee = new EventEmitter()
ee.setMaxListeners(0)

const t = initTRPC.create({
  sse: {
    ping: { enabled: true, intervalMs: heartbeatMs() },
    client: { reconnectAfterInactivityMs: heartbeatMs() * 2 },
  },
})

const router = t.router({
  tick: t.procedure.subscription(async function* (opts) {
    for await (const [payload] of on(ee, EVENT_NAME, { signal: opts.signal })) {
      const tick = payload as TickPayload
      yield tracked(String(tick.seq), tick)
    }
  }),
})

await runBenchServer({
  path: '/tick',
  http: createHTTPServer({ router }),
  broadcast: (payload) => ee.emit(EVENT_NAME, payload),
  subscribers: () => ee.listenerCount(EVENT_NAME),
})
