import http from 'node:http'
import { type ConnectionState, createClient } from '@herald/client'
import { defineEvents } from '@herald/schema'
import { describe, expect, it } from 'vitest'
import * as z from 'zod'
import { type ChannelProcess, type ProcessOptions, startChannelProcess } from './test-channel-child.ts'
import { openRawSocket } from './test-raw-socket.ts'
import { useCleanup } from './test-server.ts'

// Guarantee 5: `channel.close()` ends every stream with a `retry:` and then `server.close()`
// finishes at once, without closeAllConnections; nothing is left running in the process, and
// connections that come and go leave no memory behind. The server runs in a child process, so
// its handles, timers and heap are its own and it must exit by itself.

const events = defineEvents({ blob: z.object({ seq: z.number().int(), pad: z.string() }) })
const RETRY_MS = 2000

const defer = useCleanup()

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

async function start(options: ProcessOptions) {
  const server = await startChannelProcess(options)
  defer(() => server.kill())
  return server
}

/** A plain node:http GET of the stream over a keep-alive agent: the body as text, and how it ended. */
function httpStream(url: string, agent: http.Agent) {
  const stream = { text: '', complete: false, ended: Promise.resolve() }
  stream.ended = new Promise((resolve) => {
    const req = http.get(url, { agent, headers: { accept: 'text/event-stream' } }, (res) => {
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => {
        stream.text += chunk
      })
      res.on('end', () => {
        stream.complete = res.complete
        resolve()
      })
      res.on('error', () => resolve())
    })
    req.on('error', () => resolve())
    defer(() => req.destroy())
  })
  return stream
}

const stats = (server: ChannelProcess) => server.send({ op: 'stats', gc: false })

describe('shutdown', () => {
  it('ends 200 streams with a retry at once; server.close() needs no closeAllConnections; nothing is left', async () => {
    // Heartbeats on, so the channel's timer exists and has to go.
    const server = await start({ channel: { retryMs: RETRY_MS, heartbeatMs: 1000 }, trackTimers: true })
    // Browsers keep connections alive; so does this agent, and so does fetch under Herald's client.
    const agent = new http.Agent({ keepAlive: true, maxSockets: Number.POSITIVE_INFINITY })
    defer(() => agent.destroy())
    const raws = Array.from({ length: 150 }, () => httpStream(server.url, agent))
    const clients = Array.from({ length: 50 }, () => {
      const client = createClient(events, server.url)
      defer(() => client.close())
      const states: ConnectionState[] = [client.state]
      client.onState((state) => states.push(state))
      return { client, states }
    })
    await expect.poll(async () => (await stats(server)).size, { timeout: 10_000 }).toBe(200)
    await expect.poll(() => clients.every(({ client }) => client.state === 'open')).toBe(true)

    // The child answers once channel.close() and server.close() have both finished (then waits
    // a second to count timers): a server.close() waiting on a kept-alive socket would hang here.
    const close = await Promise.race([
      server.send({ op: 'close' }),
      sleep(5000).then(() => Promise.reject(new Error(`close still pending after 5 s: ${server.output()}`))),
    ])
    const exit = await Promise.race([server.exited, sleep(2000).then(() => 'still running after 2 s')])
    await Promise.all(raws.map((raw) => raw.ended))
    console.info(
      `shutdown with 200 streams: channel.close() ${close.channelMs.toFixed(1)} ms, ` +
        `server.close() ${close.serverMs.toFixed(1)} ms; left: [${close.resources.join(', ')}], ` +
        `${close.liveTimers} timers; child exit: ${exit}`,
    )
    expect(close.channelMs + close.serverMs).toBeLessThan(1000)
    expect(close.size).toBe(0)
    // Only the child's stdio and IPC pipes remain: no server, socket, timer or immediate, and no
    // unref'd timer either (the heartbeat's is unref'd, so the list alone would not show it).
    expect(close.resources.filter((resource) => resource !== 'PipeWrap')).toEqual([])
    expect(close.liveTimers).toBe(0)
    expect(exit).toBe(0)

    for (const raw of raws) {
      expect(raw.complete).toBe(true) // a proper end of the response, not a reset
      const retry = Number(/\nretry: (\d+)\n\n$/.exec(raw.text)?.[1])
      expect(retry).toBeGreaterThanOrEqual(RETRY_MS)
      expect(retry).toBeLessThanOrEqual(2 * RETRY_MS)
    }
    // Herald's clients take the end for a drop and retry after the `retry:` (2–4 s from now).
    await expect.poll(() => clients.every(({ client }) => client.state === 'reconnecting')).toBe(true)
    for (const { states } of clients) expect(states).toEqual(['connecting', 'open', 'reconnecting'])
  })

  it('10,000 connect/disconnect cycles leave the heap where it was and no stream behind', {
    timeout: 60_000,
  }, async () => {
    // 2,000 replays in seconds from one address is what replayBudget stops; this test is about
    // streams leaving at awkward moments, so it turns the budget off.
    const server = await start({ channel: { historySize: 200, heartbeatMs: 1000, replayBudget: 0 } })
    // A full history before the baseline, so only the streams can make the heap grow: 200 events
    // of 2 KiB. Replays start mid-history: about 200 KiB, under the 1 MiB cut-off.
    const emit = async (count: number) => {
      const { ids } = await server.send({ op: 'emit', count, bytes: 2048, batch: 50, bytesPerSecond: 0, gcEveryMs: 0 })
      history = [...history, ...ids].slice(-200)
    }
    let history: string[] = []
    await emit(200)
    const kinds = ['headers', 'replay', 'gap', 'immediate', 'live'] as const
    const counts = Object.fromEntries(kinds.map((kind) => [kind, 0])) as Record<(typeof kinds)[number], number>

    // One cycle: a raw socket that leaves at a different moment of its stream.
    const cycle = async (index: number) => {
      const kind = kinds[index % kinds.length] as (typeof kinds)[number]
      counts[kind] += 1
      const headers: Record<string, string> =
        kind === 'replay'
          ? { 'last-event-id': history[100] as string }
          : kind === 'gap'
            ? { 'last-event-id': '1-0' }
            : {}
      const stream = openRawSocket(server.port, { headers })
      if (kind === 'immediate') {
        stream.socket.once('connect', () => setImmediate(() => stream.destroy())) // before any answer
      } else {
        const ready = {
          headers: () => stream.head.includes('\r\n\r\n'), // leaves right after the response headers
          replay: () => stream.events > 0, // leaves after the first replayed events, mid-replay
          gap: () => stream.head.includes('event: herald:gap'),
          live: () => stream.head.includes('event: herald:hello'),
        }[kind]
        await stream.until(ready).finally(() => stream.destroy())
      }
      await stream.ended
    }
    const run = async (total: number) => {
      let next = 0
      const loop = async () => {
        while (next < total) {
          const index = next++
          await cycle(index)
          // Now and then an event, so 'live' streams get one and the history keeps turning over.
          if (index % 100 === 0) await emit(1)
        }
      }
      await Promise.all(Array.from({ length: 32 }, loop))
      await expect.poll(async () => (await stats(server)).size).toBe(0)
    }

    await run(1000) // warm-up: JIT, Koa's and http's pools
    for (const kind of kinds) counts[kind] = 0
    const { memory: baseline } = await server.send({ op: 'stats', gc: true })
    const started = performance.now()
    await run(10_000)
    const ms = performance.now() - started
    const { memory: after, size } = await server.send({ op: 'stats', gc: true })
    const drift = after.heapUsed - baseline.heapUsed
    console.info(
      `10,000 cycles (${Object.entries(counts)
        .map(([kind, count]) => `${kind} ${count}`)
        .join(', ')}) in ${Math.round(ms)} ms: heapUsed ` +
        `${(baseline.heapUsed / 2 ** 20).toFixed(2)} → ${(after.heapUsed / 2 ** 20).toFixed(2)} MiB ` +
        `(drift ${(drift / 1024).toFixed(0)} KiB), arrayBuffers drift ${((after.arrayBuffers - baseline.arrayBuffers) / 1024).toFixed(0)} KiB`,
    )
    expect(size).toBe(0)
    // Measured: 55–650 KiB after gc, with no trend over 80,000 cycles (8 rounds of 10,000 read
    // 458, 226, 273, 283, 491, 645, 357, 384 KiB above baseline): V8's own noise. A leak of 150
    // bytes per cycle would cross 1.5 MiB here.
    expect(Math.abs(drift)).toBeLessThan(1.5 * 2 ** 20)
    // ArrayBuffers step up once, by up to 1 MiB, as the history turns over (then stay flat over
    // 60,000 cycles): a 2 KiB frame made between other small Buffers pins its own 8 KiB slab of
    // Node's buffer pool, so 200 kept frames may hold up to 1.6 MiB. Bounded by the history.
    expect(after.arrayBuffers - baseline.arrayBuffers).toBeLessThan(2 * 2 ** 20)
  })
})
