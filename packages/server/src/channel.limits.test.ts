import type { AddressInfo } from 'node:net'
import { createClient, type HeraldError, HeraldEventSource } from '@herald/client'
import { defineEvents, isHeraldError, text } from '@herald/schema'
import { type ChannelOptions, createChannel, createMemoryEngine } from '@herald/server'
import { sse } from '@herald/server/koa'
import Koa from 'koa'
import { describe, expect, it, type TestContext } from 'vitest'
import * as z from 'zod'
import { openRawSocket } from './test-raw-socket.ts'
import { cleanupFor, idsIn, openRaw, type RawStream } from './test-server.ts'

// Guarantee 4: over a connection limit a request gets a 200 stream holding a `herald:busy` event
// and a `retry:` of busyRetryMs to 2·busyRetryMs, then the end, so a native EventSource (which
// gives up on any other status) and Herald's client both come back later; streams already open
// are not touched. An emit over maxEventBytes throws EVENT_TOO_LARGE and sends nothing.

const events = defineEvents({ name: z.string(), note: text(z.string()) })

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/**
 * Koa on port 0 serving a channel at `/events`, with the arrival time of every request, closed
 * when the test finishes, as is what it is given to `defer`.
 */
async function serve(context: TestContext, options: ChannelOptions = {}) {
  const defer = cleanupFor(context)
  const channel = createChannel(events, { heartbeatMs: 0, ...options })
  const stream = sse(channel)
  const requests: number[] = []
  const app = new Koa()
  app.use((ctx, next) => {
    requests.push(performance.now())
    return stream(ctx, next)
  })
  const server = app.listen(0, '127.0.0.1')
  await new Promise<void>((resolve) => server.once('listening', resolve))
  defer(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
    () => channel.close(),
  )
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/events`
  const open = async (headers: Record<string, string> = {}): Promise<RawStream> => {
    const raw = await openRaw(url, headers)
    defer(() => raw.close())
    return raw
  }
  return { channel, url, requests, open, defer }
}

/** Asserts `stream` was turned away, and returns the `retry:` it was given. */
async function expectBusy(stream: RawStream, busyRetryMs: number): Promise<number> {
  expect(stream.response.status).toBe(200)
  expect(stream.response.headers.get('content-type')).toBe('text/event-stream; charset=utf-8')
  expect(stream.response.headers.get('herald-refused')).toBe('busy')
  await stream.ended
  const match = /^retry: (\d+)\nevent: herald:busy\ndata: \{"retryMs":(\d+)\}\n\n$/.exec(stream.text())
  expect(match, stream.text()).not.toBeNull()
  const retry = Number(match?.[1])
  expect(Number(match?.[2])).toBe(retry)
  expect(retry).toBeGreaterThanOrEqual(busyRetryMs)
  expect(retry).toBeLessThanOrEqual(2 * busyRetryMs)
  return retry
}

/** busyRetryMs for the bare HeraldEventSource: answers ask for 100–200 ms, its backoff floor or more. */
const BUSY_RETRY_MS = 100

const expectAdmitted = (stream: RawStream) => stream.waitFor('event: herald:hello\n')

// The tests of each group run at the same time (each mostly waits on a retry), but the one that
// measures the delay between requests runs alone: time spent on the others would eat into its bound.
describe.concurrent('connection limits', () => {
  it('turns requests over maxConnections away with herald:busy and a jittered retry; open streams carry on', async (context) => {
    const { expect } = context
    const { channel, open } = await serve(context, { maxConnections: 3, busyRetryMs: 500 })
    const admitted = [await open(), await open(), await open()]
    await Promise.all(admitted.map(expectAdmitted))
    const retries: number[] = []
    for (let i = 0; i < 30; i++) retries.push(await expectBusy(await open(), 500))
    expect(new Set(retries).size).toBeGreaterThan(1) // spread, not one value for everyone
    expect(channel.size).toBe(3) // turned-away requests never held a slot
    const id = channel.emit('name', 'still here')
    for (const stream of admitted) {
      await stream.waitFor('data: "still here"\n\n')
      expect(idsIn(stream.text())).toEqual([id])
      expect(stream.text()).not.toContain('herald:busy')
    }
  })

  it('counts maxConnectionsPerClient by clientKey, within maxConnections', async (context) => {
    const { expect } = context
    const { channel, open } = await serve(context, {
      maxConnections: 5,
      maxConnectionsPerClient: 2,
      busyRetryMs: 100,
      clientKey: (req) => String(req.headers['x-client']),
    })
    const as = (client: string) => open({ 'x-client': client })
    const [a1, a2] = [await as('a'), await as('a')]
    await expectBusy(await as('a'), 100) // a's own limit
    const others = [await as('b'), await as('b'), await as('c')]
    await Promise.all([a1, a2, ...others].map(expectAdmitted))
    await expectBusy(await as('c'), 100) // c has one, but the total is reached
    await expectBusy(await as('d'), 100)
    expect(channel.size).toBe(5)

    a1.close()
    await expect.poll(() => channel.size).toBe(4)
    await expectBusy(await as('b'), 100) // b is still at its limit
    const a3 = await as('a') // a's count went down with the stream
    await expectAdmitted(a3)
    await expectBusy(await as('d'), 100)
    const id = channel.emit('name', 'all of you')
    for (const stream of [a2, a3, ...others]) expect(idsIn(await stream.waitFor('"all of you"'))).toEqual([id])
  })

  it('frees every count once the streams are gone, so the same limits admit as many again', async (context) => {
    const { expect } = context
    const { channel, open } = await serve(context, {
      maxConnections: 4,
      maxConnectionsPerClient: 2,
      busyRetryMs: 100,
      clientKey: (req) => String(req.headers['x-client']),
    })
    for (let round = 0; round < 3; round++) {
      const streams = [await open({ 'x-client': 'a' }), await open({ 'x-client': 'a' })]
      streams.push(await open({ 'x-client': 'b' }), await open({ 'x-client': 'b' }))
      await Promise.all(streams.map(expectAdmitted))
      await expectBusy(await open({ 'x-client': 'c' }), 100)
      expect(channel.size).toBe(4)
      for (const stream of streams) stream.close()
      await expect.poll(() => channel.size).toBe(0)
    }
  })

  it("Herald's client reports OVER_CAPACITY, backs off without hammering, and opens once a slot frees", async (context) => {
    const { expect } = context
    const { channel, url, requests, open, defer } = await serve(context, { maxConnections: 1, busyRetryMs: 100 })
    const holder = await open()
    await expectAdmitted(holder)
    const client = createClient(events, url) // Node 20 has no EventSource: HeraldEventSource
    defer(() => client.close())
    const states = [client.state]
    const errors: HeraldError[] = []
    const names: string[] = []
    client.onState((state) => states.push(state))
    client.onError((error) => errors.push(error))
    client.on('name', (name) => names.push(name))

    await expect.poll(() => errors.some((error) => error.code === 'OVER_CAPACITY')).toBe(true)
    const before = requests.length
    await sleep(1000)
    // Each answer asks for 100–200 ms and the client waits at least that long (longer if it backs
    // off further): at most 10 requests a second, and it keeps trying.
    const perSecond = requests.length - before
    expect(perSecond).toBeGreaterThanOrEqual(1)
    expect(perSecond).toBeLessThanOrEqual(11)
    expect(states).toContain('reconnecting')
    expect(states).not.toContain('closed')
    expect(client.state).not.toBe('closed')
    const busy = errors.find((error) => error.code === 'OVER_CAPACITY')
    // The answer's retry is 100–200 ms; the client waits at least that, stretched by up to half.
    const wait = Number(/turned the connection away; retrying in (\d+) ms$/.exec(busy?.message ?? '')?.[1])
    expect(wait).toBeGreaterThanOrEqual(100)
    expect(wait).toBeLessThanOrEqual(300)
    expect(busy?.status).toBe(200)
    expect(channel.size).toBe(1)

    holder.close()
    // A later retry gets the slot; only an admitted stream carries live events, so emit until one
    // arrives. Then it stays: no more requests.
    await expect
      .poll(
        () => {
          channel.emit('name', 'welcome')
          return names.length
        },
        { timeout: 5000, interval: 50 },
      )
      .toBeGreaterThan(0)
    const admittedAt = requests.length
    await sleep(400)
    expect(requests.length).toBe(admittedAt)
    expect(channel.size).toBe(1)
    expect(client.state).toBe('open')
    expect(new Set(names)).toEqual(new Set(['welcome']))
  })

  it('never reports open while it is turned away', async (context) => {
    const { expect } = context
    const { url, requests, open, defer } = await serve(context, { maxConnections: 1, busyRetryMs: 100 })
    await expectAdmitted(await open())
    const client = createClient(events, url)
    defer(() => client.close())
    const states = [client.state]
    let opens = 0
    client.onState((state) => states.push(state))
    client.onOpen(() => opens++)
    await expect.poll(() => requests.length, { timeout: 5000 }).toBeGreaterThanOrEqual(4)
    expect({ states: [...new Set(states)], opens }).toEqual({ states: ['connecting', 'reconnecting'], opens: 0 })
  })

  it.sequential('a bare HeraldEventSource stays in retry, never opens while turned away, and waits the busy retry', async (context) => {
    const { expect } = context
    const { channel, url, requests, open, defer } = await serve(context, {
      maxConnections: 1,
      busyRetryMs: BUSY_RETRY_MS,
    })
    const holder = await open()
    await expectAdmitted(holder)
    const source = new HeraldEventSource(url)
    defer(() => source.close())
    const refusals: { wait: number; at: number; status: number | undefined }[] = []
    let opened = false
    let hello = false
    source.addEventListener('open', () => {
      opened = true
    })
    source.addEventListener('herald:hello', () => {
      hello = true
    })
    source.addEventListener('error', (event) => {
      const wait = Number(/retrying in (\d+) ms$/.exec(event.message ?? '')?.[1])
      refusals.push({ wait, at: performance.now(), status: event.status })
      expect(source.readyState).toBe(HeraldEventSource.CONNECTING)
    })

    await expect.poll(() => refusals.length, { timeout: 5000 }).toBeGreaterThanOrEqual(3)
    expect(opened).toBe(false)
    // Each answer's retry: is 100–200 ms (jittered); HeraldEventSource doubles it per answer in a
    // row. Request i + 1 came when the wait it announced was over, not sooner.
    for (const [index, refusal] of refusals.slice(0, -1).entries()) {
      expect(refusal.status).toBe(200)
      expect(refusal.wait).toBeGreaterThanOrEqual(BUSY_RETRY_MS * 2 ** index)
      const next = requests[index + 2] as number // requests[0] is the holder's
      expect(next - refusal.at).toBeGreaterThanOrEqual(refusal.wait - 2)
      expect(next - refusal.at).toBeLessThan(refusal.wait + 150)
    }

    holder.close()
    await expect.poll(() => hello, { timeout: 5000 }).toBe(true)
    const names: string[] = []
    source.addEventListener('name', (event) => names.push(event.data))
    channel.emit('name', 'in')
    await expect.poll(() => names).toEqual(['"in"'])
    expect(source.readyState).toBe(HeraldEventSource.OPEN)
  })
})

describe('maxEventBytes', () => {
  it('throws EVENT_TOO_LARGE with the event and its UTF-8 size, and writes nothing to any stream', async (context) => {
    const { expect } = context
    // A stopped clock makes the ids predictable: a rejected emit must not use one up.
    const engine = createMemoryEngine({ now: () => 1000 })
    const { channel, open } = await serve(context, { engine, maxEventBytes: 1000 })
    const streams = [await open(), await open()]
    await Promise.all(streams.map(expectAdmitted))

    const first = channel.emit('name', 'a'.repeat(998)) // `"aaa…"`: 1000 bytes, the limit
    const next = (after: number) => first.replace(/\d+$/, (seq) => String(Number(seq) + after))
    const tooLarge: [name: 'name' | 'note', payload: string, bytes: number][] = [
      ['name', 'a'.repeat(999), 1001],
      ['name', '€'.repeat(333), 1001], // 333 UTF-16 units, 3 bytes each
      ['name', '😀'.repeat(250), 1002], // 500 UTF-16 units, 4 bytes per emoji
      ['name', '"'.repeat(500), 1002], // counted as encoded: each `"` becomes `\"`
      ['note', `${'é'.repeat(500)}a`, 1001], // a text event: no JSON quotes
    ]
    for (const [name, payload, bytes] of tooLarge) {
      let caught: unknown
      try {
        channel.emit(name, payload)
      } catch (error) {
        caught = error
      }
      expect(isHeraldError(caught)).toBe(true)
      expect(caught).toMatchObject({
        code: 'EVENT_TOO_LARGE',
        event: name,
        message: `event '${name}': ${bytes} bytes encoded, over maxEventBytes (1000)`,
      })
    }
    expect(channel.emit('name', '€'.repeat(332))).toBe(next(1)) // 998 bytes
    expect(channel.emit('note', 'é'.repeat(500))).toBe(next(2)) // 1000 bytes

    for (const stream of streams) {
      const received = await stream.waitFor(`data: ${'é'.repeat(500)}\n\n`)
      expect(received.slice(received.indexOf(`id: ${first}\n`))).toBe(
        `id: ${first}\nevent: name\ndata: "${'a'.repeat(998)}"\n\n` +
          `id: ${next(1)}\nevent: name\ndata: "${'€'.repeat(332)}"\n\n` +
          `id: ${next(2)}\nevent: note\ndata: ${'é'.repeat(500)}\n\n`,
      )
    }
  })

  it('a resuming stream that stops reading mid-replay is cut once it falls maxQueuedEvents behind', async (context) => {
    const { expect } = context
    // historySize 100 makes the bound 2,000 queued events; 100 × 200 KiB of history is more than
    // the socket buffers take, so the replay waits for a 'drain' that never comes.
    const { channel, url, defer } = await serve(context, { historySize: 100, maxEventBytes: 1 << 20 })
    const first = channel.emit('note', 'start')
    for (let i = 0; i < 99; i++) channel.emit('note', 'x'.repeat(200 * 1024))
    const reader = openRawSocket(Number(new URL(url).port), { headers: { 'last-event-id': first }, paused: true })
    defer(() => reader.destroy())
    await expect.poll(() => channel.size).toBe(1)
    // The live events meanwhile join its queue: 99 replayed + 1,800 live is within the bound…
    const emitLive = async (from: number, to: number) => {
      for (let i = from; i < to; i++) {
        channel.emit('name', `live ${i}`)
        if (i % 100 === 0) await sleep(1)
      }
    }
    await emitLive(0, 1800)
    await sleep(50)
    expect(channel.size).toBe(1)
    // …and past it the stream is cut, not left to grow.
    await emitLive(1800, 2100)
    await expect.poll(() => channel.size).toBe(0)
  })
})
