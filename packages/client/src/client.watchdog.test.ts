import { defineEvents } from '@herald/schema'
import { type ChannelOptions, createChannel, type EventId } from '@herald/server'
import { afterEach, describe, expect, it } from 'vitest'
import * as z from 'zod'
import { type ConnectionState, createClient, type HeraldError } from './index.ts'
import { serveFaulty } from './test-fault-server.ts'
import { cleanups, nextOpen } from './test-herald-server.ts'
import { startTcpProxy, type TcpProxyOptions } from './test-tcp-proxy.ts'

// Guarantee 9, dead connections are noticed: the server announces its heartbeat interval in
// `herald:hello`; a client that then hears nothing for three intervals drops the connection and
// resumes with Last-Event-ID. Faults come from a node:net proxy (one that stops forwarding, one that
// cuts idle connections) and from a server socket corked so it stops writing without closing.

const events = defineEvents({ seq: z.number().int() })

const HEARTBEAT_MS = 50

const jobs = cleanups()
afterEach(() => jobs.run())

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
const range = (from: number, to: number) => Array.from({ length: to - from }, (_, index) => from + index)

/** A channel served by Koa, with a TCP proxy in front. */
async function setup(options: ChannelOptions, proxyOptions: Omit<TcpProxyOptions, 'targetPort'> = {}) {
  const channel = createChannel(events, { historySize: 1000, retryMs: 20, ...options })
  const server = await serveFaulty(channel)
  jobs.add(() => server.close())
  const proxy = await startTcpProxy({ targetPort: server.port, ...proxyOptions })
  jobs.add(() => proxy.close())
  const ids: EventId[] = []
  const emit = (from: number, to: number) => {
    for (const seq of range(from, to)) ids.push(channel.emit('seq', seq))
  }
  return { channel, server, proxy, ids, emit }
}

/** A client with its sequence numbers, timed state changes and errors, closed after the test. */
function track(url: string) {
  const client = createClient(events, url)
  jobs.add(() => client.close())
  const seqs: number[] = []
  const states: { state: ConnectionState; at: number }[] = []
  const errors: HeraldError[] = []
  client.on('seq', (seq) => seqs.push(seq))
  client.onState((state) => states.push({ state, at: performance.now() }))
  client.onError((error) => errors.push(error))
  return { client, seqs, states, errors }
}

describe('a half-open connection is detected and resumed without loss', () => {
  it.for(['a proxy that stops forwarding the server', 'a server that stops writing'] as const)(
    '%s',
    async (fault, { annotate }) => {
      const { channel, server, proxy, ids, emit } = await setup({ heartbeatMs: HEARTBEAT_MS })
      const { client, seqs, states, errors } = track(proxy.via(server.url))
      await nextOpen(client)
      emit(0, 5)
      await expect.poll(() => seqs).toEqual(range(0, 5))

      // Both ends stay open; the bytes of the server just stop reaching the client.
      const [connection] = proxy.open
      expect(proxy.open).toHaveLength(1)
      const silencedAt = performance.now()
      if (fault === 'a server that stops writing') {
        for (const socket of server.sockets()) socket.cork()
      } else {
        connection?.stall()
      }
      const reopened = nextOpen(client)
      emit(5, 8) // written by the server, never received
      await sleep(HEARTBEAT_MS)
      emit(8, 10)

      const lost = () => states.find(({ state }) => state === 'reconnecting')
      await expect.poll(lost, { timeout: 2000 }).toBeDefined()
      const detectedMs = (lost()?.at ?? Number.NaN) - silencedAt
      await annotate(`silenced, then detected after ${Math.round(detectedMs)} ms (heartbeat ${HEARTBEAT_MS} ms)`)
      // Not before the silence, and within a few intervals of it (the last byte came up to one
      // interval before the silence; the watchdog allows two, checked once per interval).
      expect(detectedMs).toBeGreaterThan(0)
      expect(detectedMs).toBeLessThanOrEqual(8 * HEARTBEAT_MS)
      expect(errors.map(({ code }) => code)).toEqual(['CONNECTION_LOST'])
      expect(errors[0]?.message).toMatch(`nothing received for ${3 * HEARTBEAT_MS} ms`)

      // It resumes through the proxy, which forwards new connections normally, from event 4.
      await reopened
      expect(server.requests).toHaveLength(2)
      expect(server.requests[1]?.['last-event-id']).toBe(ids[4])
      emit(10, 15)
      await expect.poll(() => seqs).toEqual(range(0, 15))
      expect(states.map(({ state }) => state)).toEqual(['open', 'reconnecting', 'open'])
      // The silenced connection was given up, not left open beside the new one.
      await expect.poll(() => connection !== undefined && proxy.open.includes(connection)).toBe(false)
      await expect.poll(() => channel.size).toBe(1)
      await sleep(4 * HEARTBEAT_MS) // the new connection is healthy: no further reconnect
      expect(errors).toHaveLength(1)
      expect(server.requests).toHaveLength(2)
    },
  )
})

describe('the watchdog follows the server', () => {
  it('stays off against a server without heartbeats (heartbeatMs 0)', async () => {
    const { server, proxy, emit } = await setup({ heartbeatMs: 0 })
    const { client, seqs, states, errors } = track(proxy.via(server.url))
    await nextOpen(client)
    emit(0, 1)
    await expect.poll(() => seqs).toEqual([0])
    await sleep(300)
    expect(states.map(({ state }) => state)).toEqual(['open'])
    expect(errors).toEqual([])
    expect(server.requests).toHaveLength(1)

    // Not even a silenced connection is noticed then: nothing tells the client what to expect.
    proxy.open[0]?.stall()
    emit(1, 2)
    await sleep(300)
    expect(client.state).toBe('open')
    expect(errors).toEqual([])
    expect(server.requests).toHaveLength(1)
  })

  it('heartbeats keep an idle stream alive through a proxy that cuts connections idle for 150 ms', async () => {
    const { server, proxy, emit } = await setup({ heartbeatMs: HEARTBEAT_MS }, { idleTimeoutMs: 150 })
    const { client, seqs, states, errors } = track(proxy.via(server.url))
    await nextOpen(client)
    await sleep(600)
    expect(proxy.idleCuts).toBe(0)
    expect(proxy.accepted).toBe(1)
    expect(server.requests).toHaveLength(1)
    expect(states.map(({ state }) => state)).toEqual(['open'])
    expect(errors).toEqual([])
    emit(0, 3)
    await expect.poll(() => seqs).toEqual([0, 1, 2])
  })

  it('without heartbeats the same proxy cuts the idle stream, and the client resumes', async () => {
    const { server, proxy, emit } = await setup({ heartbeatMs: 0 }, { idleTimeoutMs: 150 })
    const { client, seqs, errors } = track(proxy.via(server.url))
    await nextOpen(client)
    emit(0, 1)
    await expect.poll(() => seqs).toEqual([0])
    const reopened = nextOpen(client)
    await expect.poll(() => proxy.idleCuts, { timeout: 3000 }).toBeGreaterThanOrEqual(1)
    await reopened
    expect(errors[0]?.code).toBe('CONNECTION_LOST')
    emit(1, 3)
    await expect.poll(() => seqs).toEqual([0, 1, 2])
  })
})

describe('watchdog reconnections', () => {
  it("keep the server's retry: when the first attempt after a watchdog reconnect fails", async () => {
    const { server, proxy } = await setup({ heartbeatMs: HEARTBEAT_MS, retryMs: 20 })
    const { client, errors } = track(proxy.via(server.url))
    await nextOpen(client)

    proxy.open[0]?.stall()
    proxy.newConnections = 'reset' // the watchdog's reconnection attempt is refused
    const accepted = proxy.accepted
    await expect.poll(() => proxy.accepted, { timeout: 2000 }).toBeGreaterThan(accepted)
    const reopened = nextOpen(client)
    proxy.newConnections = 'forward'
    const recoveredAt = performance.now()
    expect(errors[0]?.message).toMatch('nothing received')

    const openedAt = await Promise.race([reopened, sleep(1500).then(() => Number.POSITIVE_INFINITY)])
    // retry: 20 ms, doubled per failed attempt: the next attempt is due within ~40 ms.
    expect(openedAt - recoveredAt).toBeLessThan(500)
    expect(server.requests).toHaveLength(2)
  })

  it("leaves the wait after a drop to the server's retry:", async () => {
    const { server, proxy } = await setup({ heartbeatMs: HEARTBEAT_MS, retryMs: 1000 })
    const { client, errors } = track(proxy.via(server.url))
    await nextOpen(client)
    for (const socket of server.sockets()) socket.destroy()
    await expect.poll(() => client.state).toBe('reconnecting')
    // Without the allowance the watchdog would give up within four intervals (200 ms) of the drop;
    // watchdog.test.ts checks its length on fake timers.
    await sleep(300)
    expect(server.requests).toHaveLength(1)
    expect(errors.map(({ code }) => code)).toEqual(['CONNECTION_LOST'])
  })

  it('also watch a reconnection attempt that never answers', async () => {
    const { server, proxy, emit } = await setup({ heartbeatMs: HEARTBEAT_MS })
    const { client, seqs } = track(proxy.via(server.url))
    await nextOpen(client)
    emit(0, 2)
    await expect.poll(() => seqs).toEqual([0, 1])

    proxy.open[0]?.stall()
    proxy.newConnections = 'hold'
    const accepted = proxy.accepted
    await expect.poll(() => proxy.accepted, { timeout: 2000 }).toBeGreaterThan(accepted) // the held attempt
    proxy.newConnections = 'forward'
    emit(2, 4)
    await expect.poll(() => seqs, { timeout: 1500 }).toEqual(range(0, 4))
  })

  it('give a reconnection attempt the time its answer takes over a slow link', async () => {
    // Every byte of the server arrives 5 intervals late: a steady stream is unaffected (pings
    // still come every interval), but a new connection answers only after 5 intervals, more than
    // the 3 of silence that give up on an open stream.
    const { server, proxy, emit } = await setup({ heartbeatMs: HEARTBEAT_MS }, { latencyMs: 5 * HEARTBEAT_MS })
    const { client, seqs, states, errors } = track(proxy.via(server.url))
    await nextOpen(client)
    emit(0, 2)
    await expect.poll(() => seqs).toEqual([0, 1])
    await sleep(6 * HEARTBEAT_MS)
    expect(server.requests).toHaveLength(1)

    proxy.open[0]?.stall()
    await expect.poll(() => states.some(({ state }) => state === 'reconnecting'), { timeout: 2000 }).toBe(true)
    emit(2, 4)
    await expect.poll(() => seqs, { timeout: 2000 }).toEqual(range(0, 4))
    await sleep(6 * HEARTBEAT_MS)
    // One reconnection, given the time its answer took: not cut again and again while it came.
    expect(server.requests).toHaveLength(2)
    expect(states.map(({ state }) => state)).toEqual(['open', 'reconnecting', 'open'])
    expect(errors.map((error) => error.code)).toEqual(['CONNECTION_LOST'])
  })
})
