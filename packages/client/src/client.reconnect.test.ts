import type http from 'node:http'
import { defineEvents } from '@herald/schema'
import { describe, it, type TestContext } from 'vitest'
import * as z from 'zod'
import { type ClientOptions, createClient, type HeraldError, HeraldEventSource } from './index.ts'
import { cleanups, nextOpen, serveHerald } from './test-herald-server.ts'
import { send, sleep, sseHead, startSseServer } from './test-sse-server.ts'

// Reconnection and refusal: the real Herald channel over Koa, with its sockets cut from the
// server's side, and a plain node:http server for the answers a Herald server never gives.

const events = defineEvents({ seq: z.number().int(), name: z.string() })
type E = typeof events

/**
 * The fixtures of one test, closed when it finishes: the tests run at the same time (each mostly
 * waits on a server or a retry), so afterEach would close the servers and clients of the others.
 */
function fixtures({ expect, onTestFinished }: TestContext) {
  const jobs = cleanups()
  onTestFinished(() => jobs.run())

  /** A client that records its sequence numbers, states and errors. */
  function track(url: string, options: ClientOptions = {}) {
    const client = createClient(events, url, options)
    jobs.add(() => client.close())
    const seqs: number[] = []
    const states = [client.state]
    const errors: HeraldError[] = []
    client.on('seq', (seq) => seqs.push(seq))
    client.onState((state) => states.push(state))
    client.onError((error) => errors.push(error))
    return { client, seqs, states, errors }
  }

  async function herald() {
    const server = await serveHerald(events, { retryMs: 20 })
    jobs.add(() => server.close())
    return server
  }

  /** A client of a node:http server answering with `reply`, once it closed and 150 ms more. */
  async function refuse(reply: (res: http.ServerResponse) => unknown) {
    const srv = await startSseServer()
    jobs.add(() => srv.close())
    const url = srv.route('/refuse', ({ res }) => reply(res))
    const tracked = track(url)
    await expect.poll(() => tracked.client.state).toBe('closed')
    await sleep(150) // long enough for a retry storm to show
    return { ...tracked, hits: srv.hits('/refuse') }
  }

  return { track, herald, refuse }
}

describe.concurrent('createClient: reconnection with Last-Event-ID', () => {
  it('receives every event exactly once, in order, across server-side socket drops', async (context) => {
    const { expect } = context
    const { track, herald } = fixtures(context)
    const server = await herald()
    const { client, seqs, states, errors } = track(server.url)
    await nextOpen(client)
    let next = 0
    const burst = () => {
      for (let i = 0; i < 15; i++) server.channel.emit('seq', next++)
    }
    let drops = 0
    for (let round = 0; round < 10; round++) {
      burst()
      if (round % 2 === 1 && round < 9) {
        const reopened = nextOpen(client)
        expect(server.dropConnections()).toBeGreaterThan(0)
        drops++
        burst() // emitted while the client is away: it must come back through replay
        await reopened
        // Stay until the connection counts as healthy (as long as the wait before it, at most
        // 150 ms here), so the next drop waits the base again rather than twice as long.
        await sleep(160)
      } else {
        burst()
        await sleep(5)
      }
    }
    expect(next).toBe(300)
    await expect.poll(() => seqs.length).toBe(300)
    expect(seqs).toEqual(Array.from({ length: 300 }, (_, index) => index))
    expect(drops).toBe(4)
    expect(states).toEqual(['connecting', 'open', ...Array(drops).fill(['reconnecting', 'open']).flat()])
    // Each drop is reported as CONNECTION_LOST (retrying), never as a failure.
    expect(errors.map((error) => error.code)).toEqual(Array(drops).fill('CONNECTION_LOST'))
    const [first, ...again] = server.requests
    expect(first?.headers['last-event-id']).toBeUndefined()
    expect(again).toHaveLength(drops)
    for (const request of again) expect(request.headers['last-event-id']).toMatch(/^[A-Za-z0-9]+-\d+-\d+$/)
  })

  it('resumes after the lastEventId option from the first request on', async (context) => {
    const { expect } = context
    const { track, herald } = fixtures(context)
    const server = await herald()
    const ids = [0, 1, 2, 3].map((seq) => server.channel.emit('seq', seq))
    const { client, seqs } = track(server.url, { lastEventId: ids[1] as string })
    expect(client.lastEventId).toBe(ids[1])
    await expect.poll(() => seqs).toEqual([2, 3])
    server.channel.emit('seq', 4)
    await expect.poll(() => seqs).toEqual([2, 3, 4])
    expect(server.requests).toHaveLength(1)
    const [request] = server.requests
    const sent =
      request?.headers['last-event-id'] ?? new URL(request?.url ?? '', 'http://x').searchParams.get('lastEventId')
    expect(sent).toBe(ids[1])
  })

  it('sends the lastEventId option as a query parameter through an injected EventSource', async (context) => {
    const { expect } = context
    const { track, herald } = fixtures(context)
    const server = await herald()
    const ids = [0, 1, 2].map((seq) => server.channel.emit('seq', seq))
    const { seqs } = track(server.url, { lastEventId: ids[0] as string, EventSource: HeraldEventSource })
    await expect.poll(() => seqs).toEqual([1, 2])
    const [request] = server.requests
    expect(new URL(request?.url ?? '', 'http://x').searchParams.get('lastEventId')).toBe(ids[0])
    expect(request?.headers['last-event-id']).toBeUndefined()
  })

  it('sends the headers option, calling its function form before every connect', async (context) => {
    const { expect } = context
    const { track, herald } = fixtures(context)
    const server = await herald()
    let calls = 0
    const { client, seqs } = track(server.url, {
      headers: () => ({ authorization: `Bearer ${++calls}`, 'x-static': 'yes' }),
    })
    await nextOpen(client)
    server.channel.emit('seq', 1)
    await expect.poll(() => seqs).toEqual([1])
    const reopened = nextOpen(client)
    server.dropConnections()
    await reopened
    expect(server.requests.map((request) => request.headers['authorization'])).toEqual(['Bearer 1', 'Bearer 2'])
    expect(server.requests.every((request) => request.headers['x-static'] === 'yes')).toBe(true)
    expect(server.requests[1]?.headers['last-event-id']).toBe(client.lastEventId)
  })

  it('sends the headers option through an explicit HeraldEventSource, as a browser bundle must', async (context) => {
    const { expect } = context
    const { track, herald } = fixtures(context)
    const server = await herald()
    const { client, seqs } = track(server.url, { EventSource: HeraldEventSource, headers: { 'x-api-key': 'k2' } })
    await nextOpen(client)
    server.channel.emit('seq', 1)
    await expect.poll(() => seqs).toEqual([1])
    expect(server.requests[0]?.headers['x-api-key']).toBe('k2')
  })

  it('sends a static headers option', async (context) => {
    const { expect } = context
    const { track, herald } = fixtures(context)
    const server = await herald()
    const { client } = track(server.url, { headers: { 'x-api-key': 'k1' } })
    await nextOpen(client)
    expect(server.requests[0]?.headers['x-api-key']).toBe('k1')
  })

  it("throws INVALID_OPTIONS for an 'EventSource' other than Herald's with 'headers' or 'fetch', before any request", async (context) => {
    const { expect } = context
    const { herald } = fixtures(context)
    const server = await herald()
    const invalid = expect.objectContaining({ code: 'INVALID_OPTIONS' })
    // Any EventSource but Herald's (a native one, a polyfill) would silently drop the headers.
    const Other = class extends EventTarget {} as unknown as NonNullable<ClientOptions['EventSource']>
    expect(() => createClient(events, server.url, { EventSource: Other, headers: { a: 'b' } })).toThrow(invalid)
    expect(() => createClient(events, server.url, { EventSource: Other, headers: () => ({}) })).toThrow(invalid)
    expect(() => createClient(events, server.url, { EventSource: Other, fetch })).toThrow(invalid)
    expect(() => createClient({} as E, server.url)).toThrow(invalid)
    const wrong: [url: string, options: unknown, message: string][] = [
      ['not a url', {}, 'createClient(): invalid URL "not a url"'],
      [server.url, null, 'createClient(): options must be an object, received null'],
      [
        server.url,
        { withCredentials: 'yes' },
        `createClient(): option 'withCredentials' must be a boolean, received "yes"`,
      ],
      [
        server.url,
        { headers: 'x-a: b' },
        `createClient(): option 'headers' must be headers, or a function that returns them, received "x-a: b"`,
      ],
      [server.url, { fetch: {} }, "createClient(): option 'fetch' must be a function, received object"],
      [
        server.url,
        { EventSource: 'native' },
        `createClient(): option 'EventSource' must be a function, received "native"`,
      ],
      [
        server.url,
        { lastEventId: 'a\nid: b' },
        `createClient(): option 'lastEventId' must be a string without NUL, CR or LF, received "a\\nid: b"`,
      ],
      [
        server.url,
        { lastEventId: 7 },
        "createClient(): option 'lastEventId' must be a string without NUL, CR or LF, received 7",
      ],
    ]
    for (const [url, options, message] of wrong) {
      expect(() => createClient(events, url, options as ClientOptions)).toThrow(
        expect.objectContaining({ code: 'INVALID_OPTIONS', message }),
      )
    }
    await sleep(50)
    expect(server.requests).toEqual([])
  })
})

describe.concurrent('createClient: refused streams', () => {
  it('stops for good on HTTP 204, without a CONNECTION_FAILED error', async (context) => {
    const { expect } = context
    const { refuse } = fixtures(context)
    const { states, errors, hits } = await refuse((res) => res.writeHead(204).end())
    expect(states).toEqual(['connecting', 'closed'])
    expect(errors).toEqual([])
    expect(hits).toHaveLength(1)
  })

  it('reports HTTP 401 as CONNECTION_FAILED with the status, and does not retry', async (context) => {
    const { expect } = context
    const { refuse } = fixtures(context)
    const { states, errors, hits } = await refuse((res) => res.writeHead(401).end('no'))
    expect(states).toEqual(['connecting', 'closed'])
    expect(errors).toHaveLength(1)
    expect(errors[0]).toMatchObject({ code: 'CONNECTION_FAILED', status: 401 })
    expect(errors[0]?.message).toMatch(/HTTP 401/)
    expect(hits).toHaveLength(1)
  })

  it('reports a 200 with the wrong content type as CONNECTION_FAILED, with no retry storm', async (context) => {
    const { expect } = context
    const { refuse } = fixtures(context)
    const { states, errors, hits, seqs } = await refuse(async (res) => {
      sseHead(res, 'application/json')
      await send(res, 'event: seq\ndata: 1\n\n')
    })
    expect(states).toEqual(['connecting', 'closed'])
    expect(errors.map((error) => [error.code, error.status])).toEqual([['CONNECTION_FAILED', 200]])
    expect(seqs).toEqual([])
    expect(hits).toHaveLength(1)
  })

  it('reports HTTP 500 as CONNECTION_FAILED and stops', async (context) => {
    const { expect } = context
    const { refuse } = fixtures(context)
    const { errors, hits } = await refuse((res) => res.writeHead(500).end())
    expect(errors.map((error) => [error.code, error.status])).toEqual([['CONNECTION_FAILED', 500]])
    expect(hits).toHaveLength(1)
  })
})
