import { defineEvents } from '@herald/schema'
import type { ChannelOptions } from '@herald/server'
import { afterEach, describe, expect, it } from 'vitest'
import * as z from 'zod'
import { createClient, type HeraldError, selfCheck } from './index.ts'
import { startBatchingProxy } from './test-batching-proxy.ts'
import { cleanups, nextOpen, serveHerald } from './test-herald-server.ts'
import { startTcpProxy } from './test-tcp-proxy.ts'

// The deploy self-check end to end: a real Herald channel on Koa, Herald's client in Node, and
// between them a real TCP proxy that batches the server's bytes, one that cuts idle connections,
// or a plain one. The warning comes once, through onError, naming what was seen; a clean path
// gives none.

const events = defineEvents({ seq: z.number().int() })

const jobs = cleanups()
afterEach(() => jobs.run())

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

async function serve(options: ChannelOptions) {
  const server = await serveHerald(events, options)
  jobs.add(() => server.close())
  return server
}

/** Emits `seq` every `everyMs` until the test ends. */
function emitEvery(server: Awaited<ReturnType<typeof serve>>, everyMs: number) {
  let seq = 0
  const timer = setInterval(() => server.channel.emit('seq', seq++), everyMs)
  jobs.add(() => clearInterval(timer))
}

/** A client with the self-check on, its events and its errors. */
function watch(url: string) {
  const client = createClient(events, url, { selfCheck })
  jobs.add(() => client.close())
  const seqs: number[] = []
  const errors: HeraldError[] = []
  client.on('seq', (seq) => seqs.push(seq))
  client.onError((error) => errors.push(error))
  const warnings = () => errors.filter((error) => error.code === 'DEPLOY_WARNING')
  return { client, seqs, errors, warnings }
}

describe('selfCheck', () => {
  it('reports events held and released in batches once, naming the spread', async () => {
    const server = await serve({ heartbeatMs: 5000 })
    const port = Number(new URL(server.url).port)
    const proxy = await startBatchingProxy({ targetPort: port, batchMs: 250 })
    jobs.add(() => proxy.close())
    const { client, seqs, errors, warnings } = watch(proxy.via(server.url))
    await nextOpen(client)
    emitEvery(server, 20)
    await expect.poll(warnings, { timeout: 4000 }).toHaveLength(1)
    const [warning] = warnings()
    expect(warning?.message).toMatch(
      /events arrive batched: 3 of the last \d deliveries held messages sent up to \d+ ms apart/,
    )
    const spread = Number(/up to (\d+) ms/.exec(warning?.message ?? '')?.[1])
    expect(spread).toBeGreaterThanOrEqual(100)
    expect(spread).toBeLessThan(400)
    // Once, not per event or per batch: more batches come and go without another.
    const seen = seqs.length
    await expect.poll(() => seqs.length, { timeout: 2000 }).toBeGreaterThan(seen + 20)
    expect(warnings()).toHaveLength(1)
    expect(errors).toEqual(warnings())
  })

  it('reports ping bursts on an idle stream held longer than the heartbeat', async () => {
    // Held for less than three heartbeats: longer, and the watchdog takes the stream for dead.
    const server = await serve({ heartbeatMs: 100 })
    const port = Number(new URL(server.url).port)
    const proxy = await startBatchingProxy({ targetPort: port, batchMs: 220 })
    jobs.add(() => proxy.close())
    const { warnings, errors } = watch(proxy.via(server.url))
    await expect.poll(warnings, { timeout: 4000 }).toHaveLength(1)
    expect(warnings()[0]?.message).toMatch(/events arrive batched/)
    expect(errors).toEqual(warnings())
  })

  it('reports nothing for steady events straight, through a plain proxy or one with a constant latency', async () => {
    const server = await serve({ heartbeatMs: 100 })
    const port = Number(new URL(server.url).port)
    const plain = await startTcpProxy({ targetPort: port })
    jobs.add(() => plain.close())
    const slow = await startTcpProxy({ targetPort: port, latencyMs: 50 })
    jobs.add(() => slow.close())
    const clients = [watch(server.url), watch(plain.via(server.url)), watch(slow.via(server.url))]
    await Promise.all(clients.map(({ client }) => nextOpen(client)))
    emitEvery(server, 20)
    await sleep(2500)
    // Then a quiet second: pings every heartbeat, each on its own.
    await sleep(1000)
    for (const { seqs, errors } of clients) {
      expect(seqs.length).toBeGreaterThan(80)
      expect(errors).toEqual([])
    }
  })

  it('reports a proxy cutting idle connections before the heartbeat, naming both times', async () => {
    const server = await serve({ heartbeatMs: 1000, retryMs: 20 })
    const proxy = await startTcpProxy({ targetPort: Number(new URL(server.url).port), idleTimeoutMs: 150 })
    jobs.add(() => proxy.close())
    const { warnings } = watch(proxy.via(server.url))
    await expect.poll(warnings, { timeout: 5000 }).toHaveLength(1)
    const message = warnings()[0]?.message ?? ''
    expect(message).toMatch(
      /connections were cut 3 times in a row after \d+-\d+ ms without data, while a heartbeat of 1000 ms/,
    )
    const [low, high] = (/after (\d+)-(\d+) ms/.exec(message) ?? []).slice(1).map(Number)
    expect(low).toBeGreaterThanOrEqual(140)
    expect(high).toBeLessThan(300)
    expect(proxy.idleCuts).toBeGreaterThanOrEqual(3)
    // Once: the cuts go on, the warning does not come again.
    const cuts = proxy.idleCuts
    await expect.poll(() => proxy.idleCuts, { timeout: 3000 }).toBeGreaterThan(cuts + 2)
    expect(warnings()).toHaveLength(1)
  })

  it('reports nothing when the server drops connections after varying silences', async () => {
    const server = await serve({ heartbeatMs: 1000, retryMs: 20 })
    const { client, warnings, errors } = watch(server.url)
    for (const silenceMs of [60, 250, 500, 120]) {
      await nextOpen(client)
      await sleep(silenceMs)
      server.dropConnections()
    }
    await nextOpen(client)
    expect(errors.filter((error) => error.code === 'CONNECTION_LOST')).toHaveLength(4)
    expect(warnings()).toEqual([])
  })

  it('costs nothing when off: no warning behind a batching proxy', async () => {
    const server = await serve({ heartbeatMs: 5000 })
    const proxy = await startBatchingProxy({ targetPort: Number(new URL(server.url).port), batchMs: 250 })
    jobs.add(() => proxy.close())
    const client = createClient(events, proxy.via(server.url), { selfCheck: false })
    jobs.add(() => client.close())
    const errors: HeraldError[] = []
    client.onError((error) => errors.push(error))
    const seqs: number[] = []
    client.on('seq', (seq) => seqs.push(seq))
    await nextOpen(client)
    emitEvery(server, 20)
    await expect.poll(() => proxy.batches, { timeout: 3000 }).toBeGreaterThan(5)
    expect(seqs.length).toBeGreaterThan(20)
    expect(errors).toEqual([])
  })
  it('refuses anything but selfCheck or false', () => {
    // @ts-expect-error true is no self-check: import `selfCheck` and pass it
    expect(() => createClient(events, 'http://127.0.0.1:1/events', { selfCheck: true })).toThrow(
      "createClient(): option 'selfCheck' must be false or selfCheck, received boolean",
    )
  })
})
