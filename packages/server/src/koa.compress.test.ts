import { once } from 'node:events'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { PassThrough, type Readable } from 'node:stream'
import zlib from 'node:zlib'
import { createClient } from '@herald/client'
import { defineEvents } from '@herald/schema'
import Router from '@koa/router'
import Koa from 'koa'
import compress from 'koa-compress'
import { describe, expect, it } from 'vitest'
import * as z from 'zod'
import { createChannel } from './channel.ts'
import { sse } from './koa.ts'
import { useCleanup } from './test-server.ts'
import type { ChannelOptions } from './types.ts'

// Guarantee 8: koa-compress mounted globally, in front of the router, with a client that accepts
// gzip and br. Herald takes the response over (`ctx.respond = false`) and sends
// `Cache-Control: no-transform`, so the stream is neither compressed nor buffered. A hand-rolled
// SSE route beside it shows that the same setup does buffer a stream that Koa writes itself.

const events = defineEvents({ n: z.number() })
const LATENCY_MS = 50

const defer = useCleanup()

async function setup(options: ChannelOptions = {}) {
  const channel = createChannel(events, { heartbeatMs: 0, ...options })
  const naive: PassThrough[] = []
  const router = new Router()
  router.get('/events', sse(channel))
  router.get('/json', (ctx) => {
    ctx.body = { filler: 'x'.repeat(5000) }
  })
  // The usual hand-written SSE route: Koa pipes the body, so koa-compress may wrap it.
  router.get('/naive', (ctx) => {
    ctx.type = 'text/event-stream'
    ctx.set('Cache-Control', 'no-cache')
    const body = new PassThrough()
    naive.push(body)
    ctx.body = body
  })
  const app = new Koa()
  app.use(compress({ threshold: 0 })) // global, and compressing anything compressible
  app.use(router.routes())
  const server = app.listen(0, '127.0.0.1')
  await once(server, 'listening')
  defer(async () => {
    await channel.close()
    for (const body of naive) body.end()
    server.closeAllConnections()
    await new Promise((resolve) => server.close(resolve))
  })
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  return { channel, origin, naive }
}

/** A chunk of decoded body text and when it arrived. */
interface Chunk {
  readonly at: number
  readonly text: string
}

/** Reads a response chunk by chunk with `Accept-Encoding: gzip, br`, decompressing if it was compressed. */
function tap(url: string) {
  const chunks: Chunk[] = []
  const request = http.get(url, { headers: { 'accept-encoding': 'gzip, br' } })
  defer(() => request.destroy())
  let head: http.IncomingMessage | undefined
  const response = new Promise<http.IncomingMessage>((resolve) => {
    request.once('response', (res: http.IncomingMessage) => {
      head = res
      const encoding = res.headers['content-encoding']
      const body: Readable =
        encoding === 'br'
          ? res.pipe(zlib.createBrotliDecompress())
          : encoding === 'gzip'
            ? res.pipe(zlib.createGunzip())
            : res
      body.setEncoding('utf8')
      body.on('data', (text: string) => chunks.push({ at: performance.now(), text }))
      body.on('error', () => {})
      resolve(res)
    })
  })
  request.on('error', () => {})
  const all = () => chunks.map((chunk) => chunk.text).join('')
  return {
    response,
    /** Whether the response head has arrived. */
    started: () => head !== undefined,
    chunks,
    all,
    /** The first chunk whose arrival completes `needle` in the text. */
    async arrival(needle: string, ms = 1000): Promise<Chunk> {
      await expect.poll(() => all().includes(needle), { timeout: ms, interval: 1 }).toBe(true)
      let text = ''
      for (const chunk of chunks) {
        text += chunk.text
        if (text.includes(needle)) return chunk
      }
      throw new Error('unreachable')
    },
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

describe('koa-compress in front of a Herald stream', () => {
  it('is live: an ordinary JSON response is compressed with br', async () => {
    const { origin } = await setup()
    const json = tap(`${origin}/json`)
    expect((await json.response).headers['content-encoding']).toBe('br')
    await json.arrival('"filler"')
  })

  it('leaves the stream uncompressed, and each event arrives on its own within 50 ms of emit', async () => {
    const { channel, origin } = await setup()
    const stream = tap(`${origin}/events`)
    const { headers } = await stream.response
    expect(headers['content-encoding']).toBeUndefined()
    expect(headers['content-type']).toBe('text/event-stream; charset=utf-8')
    expect(headers['cache-control']).toBe('no-cache, no-transform')
    await stream.arrival('event: herald:hello')
    for (let n = 0; n < 5; n++) {
      await sleep(40)
      const before = stream.chunks.length
      const emittedAt = performance.now()
      const id = channel.emit('n', n)
      const chunk = await stream.arrival(`id: ${id}\n`)
      expect(chunk.at - emittedAt).toBeLessThan(LATENCY_MS)
      // One chunk per event: nothing held back to be sent with a later one.
      expect(stream.chunks.slice(before).map((c) => c.text)).toEqual([`id: ${id}\nevent: n\ndata: ${n}\n\n`])
    }
  })

  it('sends each heartbeat on its own while idle', async () => {
    const { origin } = await setup({ heartbeatMs: 40 })
    const stream = tap(`${origin}/events`)
    expect((await stream.response).headers['content-encoding']).toBeUndefined()
    await expect.poll(() => stream.chunks.filter((c) => c.text.includes('herald:ping')).length).toBeGreaterThan(3)
    const pings = stream.chunks.filter((c) => c.text.includes('herald:ping'))
    for (const ping of pings) expect(ping.text).toBe('event: herald:ping\ndata:\n\n')
    // The shared timer pings a connection that stayed idle for a whole tick: every 40 to 80 ms.
    for (let i = 1; i < pings.length; i++) {
      expect((pings[i]?.at ?? 0) - (pings[i - 1]?.at ?? 0)).toBeLessThan(80 + LATENCY_MS)
    }
  })

  it("Herald's client (fetch asks for gzip, deflate, br) gets every event within 50 ms", async () => {
    const { channel, origin } = await setup()
    const client = createClient(events, `${origin}/events`)
    defer(() => client.close())
    const arrivals: [number, number][] = []
    client.on('n', (n) => arrivals.push([n, performance.now()]))
    await expect.poll(() => client.state).toBe('open')
    for (let n = 0; n < 5; n++) {
      await sleep(30)
      const emittedAt = performance.now()
      channel.emit('n', n)
      await expect.poll(() => arrivals.length, { interval: 1 }).toBe(n + 1)
      expect((arrivals[n]?.[1] ?? Number.POSITIVE_INFINITY) - emittedAt).toBeLessThan(LATENCY_MS)
    }
  })

  it('the harness sees buffering: a hand-rolled SSE route without no-transform is compressed and held back', async () => {
    const { origin, naive } = await setup()
    const stream = tap(`${origin}/naive`)
    await expect.poll(() => naive.length).toBe(1)
    naive[0]?.write('event: n\ndata: 1\n\n')
    await sleep(200)
    // Still inside the compressor: not even the response head has gone out.
    expect(stream.started()).toBe(false)
    expect(stream.all()).toBe('')
    naive[0]?.end()
    expect((await stream.response).headers['content-encoding']).toBe('br')
    await stream.arrival('data: 1\n\n')
  })
})
