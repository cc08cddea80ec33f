import type { Socket } from 'node:net'
import { defineEvents } from '@herald/schema'
import { describe, expect, it, type TestContext } from 'vitest'
import * as z from 'zod'
import { createClient, HeraldEventSource } from './index.ts'
import { type RouteContext, sleep, sseHead, useSseServer, waitFor } from './test-sse-server.ts'

// Issue #8, items 3 and 5 (client side), end to end against a real hostile node:http server:
// `retry: 0`, one event, close must not draw a reconnect storm, and clients dropped together must
// not come back together. backoff.test.ts covers the schedule itself on fake timers.

const events = defineEvents({ name: z.string() })
const { srv } = useSseServer()

let paths = 0
function route(handler: (ctx: RouteContext) => unknown) {
  const path = `/storm-${++paths}`
  return { url: srv.route(path, handler), hits: () => srv.hits(path) }
}

/** A source of either kind, closed when its test ends (the tests run at the same time). */
function connect(kind: 'createClient' | 'HeraldEventSource', url: string, { onTestFinished }: TestContext) {
  const source = kind === 'createClient' ? createClient(events, url) : new HeraldEventSource(url)
  onTestFinished(() => source.close())
  return source
}

const kinds = ['createClient', 'HeraldEventSource'] as const

describe.concurrent('reconnect storm: retry: 0, one event, close', () => {
  it.for(kinds)('%s stays under 5 requests a second after the first second', async (kind, context) => {
    const { url, hits } = route(({ res }) => {
      sseHead(res)
      res.end('retry: 0\nevent: name\ndata: "x"\n\n')
    })
    const start = performance.now()
    connect(kind, url, context)
    await sleep(3000)
    const perSecond = [0, 1, 2].map(
      (second) => hits().filter(({ at }) => at - start >= second * 1000 && at - start < (second + 1) * 1000).length,
    )
    await context.annotate(`requests in each second: ${perSecond.join(', ')}`)
    // Before the fix, about 200 to 500 a second: the event reset the backoff and 0 ms was honoured.
    expect(perSecond[0]).toBeLessThanOrEqual(8)
    expect(perSecond[1]).toBeLessThanOrEqual(5)
    expect(perSecond[2]).toBeLessThanOrEqual(5)
    expect((perSecond[1] ?? 0) + (perSecond[2] ?? 0)).toBeGreaterThanOrEqual(1) // it does keep trying
  })
})

describe.concurrent('thundering herd: clients dropped together', () => {
  const clients = 20
  const retryMs = 1000
  const window = retryMs / 2 // each wait is stretched by up to half

  it.for(kinds)(
    `%s: ${clients} clients come back spread over the jitter window`,
    { timeout: 10_000 },
    async (kind, context) => {
      const sockets: Socket[] = []
      const { url, hits } = route(({ req, res }) => {
        sockets.push(req.socket)
        sseHead(res)
        res.write(`retry: ${retryMs}\nevent: name\ndata: "x"\n\n`)
      })
      for (let i = 0; i < clients; i++) connect(kind, url, context)
      expect(await waitFor(() => hits().length === clients, 5000)).toBe(true)
      await sleep(50)
      // The crash: every stream cut at once.
      const crashedAt = performance.now()
      for (const hit of hits()) hit.endedAt = crashedAt
      for (const socket of sockets.splice(0)) socket.destroy()
      expect(await waitFor(() => hits().length === 2 * clients, 5000)).toBe(true)
      const back = hits()
        .slice(clients)
        .map(({ at }) => at - crashedAt)
      const spread = Math.max(...back) - Math.min(...back)
      await context.annotate(`back after ${Math.round(Math.min(...back))} to ${Math.round(Math.max(...back))} ms`)
      // None before the server's retry time; without jitter they all came back within ~80 ms.
      expect(Math.min(...back)).toBeGreaterThanOrEqual(retryMs - 5)
      expect(spread).toBeGreaterThan(window / 2)
    },
  )
})
