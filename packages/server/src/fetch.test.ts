import { getEventListeners } from 'node:events'
import { REFUSED_HEADER } from '@herald/schema'
import { afterEach, describe, expect, it } from 'vitest'
import { createChannel } from './channel.ts'
import { type FetchSseOptions, type FetchStreamContext, sse } from './fetch.ts'
import { dataOf, fetchEvents, readSse, settled } from './test-fetch.ts'
import { createTickets } from './tickets.ts'
import type { Channel, ChannelOptions } from './types.ts'

// The Fetch adapter with Node's own Request, Response and ReadableStream: the handler is called
// as a runtime calls it, and the response body is read as a client reads it. No server.

type Events = typeof fetchEvents
const URL_BASE = 'http://herald.test/events'
const channels: Channel<Events>[] = []
afterEach(async () => {
  for (const channel of channels.splice(0)) await channel.close()
})

function setup<TState = undefined>(channelOptions: ChannelOptions = {}, options: FetchSseOptions<Events, TState> = {}) {
  const channel = createChannel(fetchEvents, { heartbeatMs: 0, retryMs: 50, ...channelOptions })
  channels.push(channel)
  const errors: { error: unknown; request: Request }[] = []
  const handler = sse<Events, TState>(channel, {
    onError: (error, request) => errors.push({ error, request }),
    ...options,
  })
  return { channel, handler, errors }
}

const get = (path = '', headers: Record<string, string> = {}, signal?: AbortSignal) =>
  new Request(`${URL_BASE}${path}`, { headers, signal: signal ?? null })

describe('sse from @herald/server/fetch', () => {
  it('answers with a stream: the hello first, then live events', async () => {
    const { channel, handler } = setup()
    const response = await handler(get())
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toBe('text/event-stream; charset=utf-8')
    expect(response.headers.get('cache-control')).toBe('no-cache, no-transform')
    expect(response.headers.get('x-accel-buffering')).toBe('no')
    // Connection is HTTP/1.1's alone: a Fetch runtime owns its transport.
    expect(response.headers.get('connection')).toBeNull()
    const body = readSse(response)
    const [hello] = await body.until(1, 'herald:hello')
    expect(dataOf<{ heartbeatMs: number }>(hello).heartbeatMs).toBe(0)
    expect(channel.size).toBe(1)
    channel.emit('n', { seq: 1 })
    channel.emit('n', { seq: 2 })
    const events = await body.until(2, 'n')
    expect(events.map((message) => dataOf<{ seq: number }>(message).seq)).toEqual([1, 2])
    expect(body.messages[0]?.name).toBe('herald:hello')
    await body.cancel()
  })

  it('resumes from the Last-Event-ID header, and from ?lastEventId=', async () => {
    const { channel, handler } = setup()
    const ids = [1, 2, 3].map((seq) => channel.emit('n', { seq }))
    const fromHeader = readSse(await handler(get('', { 'last-event-id': ids[0] as string })))
    const replayed = await fromHeader.until(2, 'n')
    expect(replayed.map((message) => dataOf<{ seq: number }>(message).seq)).toEqual([2, 3])
    expect(replayed.map((message) => message.lastEventId)).toEqual(ids.slice(1))
    const fromQuery = readSse(await handler(get(`?lastEventId=${encodeURIComponent(ids[1] as string)}`)))
    expect((await fromQuery.until(1, 'n')).map((message) => dataOf<{ seq: number }>(message).seq)).toEqual([3])
    channel.emit('n', { seq: 4 })
    expect((await fromQuery.until(2, 'n')).map((message) => dataOf<{ seq: number }>(message).seq)).toEqual([3, 4])
    await Promise.all([fromHeader.cancel(), fromQuery.cancel()])
  })

  it('tells a client resuming from an unknown id of the gap', async () => {
    const { channel, handler } = setup()
    channel.emit('n', { seq: 1 })
    const body = readSse(await handler(get('', { 'last-event-id': 'not-an-id' })))
    const [gap] = await body.until(1, 'herald:gap')
    expect(dataOf(gap)).toEqual({ lastEventId: 'not-an-id' })
    channel.emit('n', { seq: 2 })
    expect(dataOf(await body.until(1, 'n').then((events) => events[0]))).toEqual({ seq: 2 })
    await body.cancel()
  })

  it('answers HEAD with the headers of a stream and no body, and holds no slot', async () => {
    const { channel, handler } = setup()
    const response = await handler(new Request(URL_BASE, { method: 'HEAD' }))
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toBe('text/event-stream; charset=utf-8')
    expect(response.body).toBeNull()
    await settled()
    expect(channel.size).toBe(0)
  })

  it('answers other methods 405, with Allow', async () => {
    const { channel, handler } = setup()
    const response = await handler(new Request(URL_BASE, { method: 'POST', body: 'x' }))
    expect(response.status).toBe(405)
    expect(response.headers.get('allow')).toBe('GET, HEAD')
    expect(response.body).toBeNull()
    expect(channel.size).toBe(0)
  })

  it('turns a request to a closed channel away with a retry, and the refused header', async () => {
    const { channel, handler } = setup()
    await channel.close()
    const response = await handler(get())
    expect(response.status).toBe(200)
    expect(response.headers.get(REFUSED_HEADER)).toBe('closed')
    expect(Number(response.headers.get('retry-after'))).toBeGreaterThan(0)
    expect(await response.text()).toMatch(/^retry: \d+\n\n$/)
  })

  it('turns a request over maxConnections away busy, then lets one in once a slot is free', async () => {
    const { channel, handler } = setup({ maxConnections: 1, busyRetryMs: 3000 })
    const first = readSse(await handler(get()))
    await first.until(1, 'herald:hello')
    const busy = await handler(get())
    expect(busy.status).toBe(200)
    expect(busy.headers.get(REFUSED_HEADER)).toBe('busy')
    expect(Number(busy.headers.get('retry-after'))).toBeGreaterThanOrEqual(3)
    const refused = readSse(busy)
    const [notice] = await refused.until(1, 'herald:busy')
    expect(dataOf<{ retryMs: number }>(notice).retryMs).toBeGreaterThanOrEqual(3000)
    expect(await refused.ended).toBe('end')
    await first.cancel()
    await settled()
    expect(channel.size).toBe(0)
    const again = readSse(await handler(get()))
    await again.until(1, 'herald:hello')
    expect(channel.size).toBe(1)
    await again.cancel()
  })

  it('counts maxConnectionsPerClient by the address it is given', async () => {
    const { channel, handler } = setup({ maxConnectionsPerClient: 1 })
    const ann = readSse(await handler(get(), { address: '10.0.0.1' }))
    await ann.until(1, 'herald:hello')
    const annAgain = await handler(get(), { address: '10.0.0.1' })
    expect(annAgain.headers.get(REFUSED_HEADER)).toBe('busy')
    const bob = readSse(await handler(get(), { address: '10.0.0.2' }))
    await bob.until(1, 'herald:hello')
    expect(channel.size).toBe(2)
    await Promise.all([ann.cancel(), bob.cancel(), annAgain.body?.cancel()])
  })

  it('gives topics and authorize the request, and the state it was passed', async () => {
    const seen: FetchStreamContext<{ user: string }>[] = []
    const { handler } = setup<{ user: string }>(
      {},
      {
        topics: (context) => {
          seen.push(context)
          return [`user:${context.state.user}`]
        },
        authorize: (context, topic) => {
          seen.push(context)
          return topic === 'room:1'
        },
      },
    )
    const request = get('?topic=room:1&topic=room:2')
    const body = readSse(await handler(request, { state: { user: 'ann' } }))
    const [hello] = await body.until(1, 'herald:hello')
    expect(dataOf<{ topics: string[] }>(hello).topics).toEqual(['user:ann', 'room:1'])
    const [refused] = await body.until(1, 'herald:refused')
    expect(dataOf(refused)).toEqual({ topic: 'room:2', reason: 'forbidden' })
    expect(seen).toHaveLength(3)
    for (const context of seen) {
      expect(context.request).toBe(request)
      expect(context.state).toEqual({ user: 'ann' })
      expect(context.ticket).toBeUndefined()
    }
    await body.cancel()
  })

  describe('with tickets', () => {
    const tickets = () => createTickets({ secret: 'fetch-tickets-test-secret-0123456789abcdef' })

    it('answers a missing or bad ticket 401 with why, and never reaches the channel', async () => {
      const { channel, handler } = setup({}, { tickets: tickets() })
      const missing = await handler(get())
      expect(missing.status).toBe(401)
      expect(missing.headers.get('content-type')).toBe('text/plain; charset=utf-8')
      expect(await missing.text()).toMatch(/ticket/)
      const forged = await handler(get('?ticket=forged'))
      expect(forged.status).toBe(401)
      expect((await forged.text()).length).toBeGreaterThan(0)
      expect(channel.size).toBe(0)
    })

    it('limits the stream to its claims and gives them to topics and authorize', async () => {
      const issuer = tickets()
      const contexts: FetchStreamContext<string>[] = []
      const { handler } = setup<string>(
        {},
        {
          tickets: issuer,
          topics: (context) => {
            contexts.push(context)
            return [`user:${context.ticket?.user}`]
          },
          // Would allow anything: the ticket alone bounds what the stream joins.
          authorize: (context) => {
            contexts.push(context)
            return true
          },
        },
      )
      const ticket = issuer.issue({ user: 'ann', topics: ['user:ann', 'room:1'] })
      const body = readSse(await handler(get(`?ticket=${ticket}&topic=room:1&topic=room:2`), { state: 'from-app' }))
      const [hello] = await body.until(1, 'herald:hello')
      expect(dataOf<{ topics: string[] }>(hello).topics).toEqual(['user:ann', 'room:1'])
      expect(dataOf((await body.until(1, 'herald:refused'))[0])).toEqual({ topic: 'room:2', reason: 'forbidden' })
      // room:2 is refused by the ticket before authorize is asked.
      expect(contexts).toHaveLength(2)
      for (const context of contexts) {
        expect(context.ticket).toMatchObject({ user: 'ann', topics: ['user:ann', 'room:1'] })
        expect(context.state).toBe('from-app')
      }
      await body.cancel()
      // Single use: the same ticket again is refused.
      expect((await handler(get(`?ticket=${ticket}`), { state: 'from-app' })).status).toBe(401)
    })
  })

  describe('when the client leaves', () => {
    it('frees the slot on request.signal abort, and removes its abort listener', async () => {
      const { channel, handler } = setup()
      const aborter = new AbortController()
      const request = get('', {}, aborter.signal)
      const body = readSse(await handler(request))
      await body.until(1, 'herald:hello')
      expect(channel.size).toBe(1)
      expect(getEventListeners(request.signal, 'abort')).toHaveLength(1)
      aborter.abort()
      await settled()
      expect(channel.size).toBe(0)
      expect(getEventListeners(request.signal, 'abort')).toHaveLength(0)
      expect(await body.ended).toBe('end')
    })

    it('removes the abort listener once the stream ends for any other reason', async () => {
      const { channel, handler } = setup()
      const aborter = new AbortController()
      const request = get('', {}, aborter.signal)
      const before = getEventListeners(request.signal, 'abort').length
      const body = readSse(await handler(request))
      await body.until(1, 'herald:hello')
      expect(getEventListeners(request.signal, 'abort').length).toBe(before + 1)
      await channel.close()
      expect(await body.ended).toBe('end')
      await settled()
      expect(getEventListeners(request.signal, 'abort').length).toBe(before)
    })

    it('frees the slot when the body is cancelled', async () => {
      const { channel, handler } = setup()
      const body = readSse(await handler(get()))
      await body.until(1, 'herald:hello')
      await body.cancel()
      await settled()
      expect(channel.size).toBe(0)
      // Emitting to no one, and to a stream gone, throws nothing.
      channel.emit('n', { seq: 1 })
    })

    it('settles 499 when the client leaves during an async authorize, and leaks nothing', async () => {
      let allow: (allowed: boolean) => void = () => {}
      let asked: () => void = () => {}
      const authorizing = new Promise<void>((resolve) => {
        asked = resolve
      })
      const { channel, handler } = setup(
        { maxConnections: 1 },
        {
          authorize: () => {
            asked()
            return new Promise<boolean>((done) => {
              allow = done
            })
          },
        },
      )
      const aborter = new AbortController()
      const request = get('?topic=room:1', {}, aborter.signal)
      const pending = handler(request)
      await authorizing
      aborter.abort()
      const response = await pending
      expect(response.status).toBe(499)
      expect(response.body).toBeNull()
      await settled()
      expect(getEventListeners(request.signal, 'abort')).toHaveLength(0)
      allow(true) // decided after the client left: nothing is opened for it
      await settled()
      expect(channel.size).toBe(0)
      // The slot it held under maxConnections is free again.
      allow = () => {}
      const next = handler(get())
      const body = readSse(await next)
      await body.until(1, 'herald:hello')
      expect(channel.size).toBe(1)
      await body.cancel()
    })
  })

  describe('when your code fails', () => {
    it('reports an authorize that throws to onError and refuses the topic', async () => {
      const boom = new Error('authorize failed')
      const { handler, errors } = setup(
        {},
        {
          authorize: () => {
            throw boom
          },
        },
      )
      const request = get('?topic=room:1')
      const body = readSse(await handler(request))
      expect(dataOf((await body.until(1, 'herald:refused'))[0])).toEqual({ topic: 'room:1', reason: 'forbidden' })
      expect(errors).toEqual([{ error: boom, request }])
      await body.cancel()
    })

    it('answers 500 and reports to onError when topics returns an undeclared topic', async () => {
      const { channel, handler, errors } = setup({}, { topics: () => ['nope:1' as never] })
      const request = get()
      const response = await handler(request)
      expect(response.status).toBe(500)
      expect(await response.text()).toBe('Internal Server Error')
      expect(errors).toHaveLength(1)
      expect(errors[0]?.error).toMatchObject({ code: 'INVALID_TOPIC' })
      expect(errors[0]?.request).toBe(request)
      await settled()
      expect(channel.size).toBe(0)
    })
  })

  describe('bad input', () => {
    it('throws INVALID_OPTIONS for something that is not a channel, or options that are not an object', () => {
      const channel = createChannel(fetchEvents)
      channels.push(channel)
      expect(() => sse({} as never)).toThrow(expect.objectContaining({ code: 'INVALID_OPTIONS' }))
      expect(() => sse(null as never)).toThrow(/expects a channel from createChannel\(\), received null/)
      expect(() => sse(channel, 'x' as never)).toThrow(/options must be an object, received "x"/)
      expect(() => sse(channel, { onError: 1 as never })).toThrow(/option 'onError' must be a function/)
      expect(() => sse(channel, { maxTopics: -1 })).toThrow(/option 'maxTopics'/)
    })

    it('rejects a call without a Request, or with a bad init, and opens nothing', async () => {
      const { channel, handler } = setup()
      await expect(handler('http://herald.test/events' as never)).rejects.toMatchObject({
        code: 'INVALID_OPTIONS',
        message: 'a Fetch stream handler expects a Request, received "http://herald.test/events"',
      })
      await expect(handler(get(), 7 as never)).rejects.toThrow(/init must be an object, received 7/)
      await expect(handler(get(), { address: 7 as never })).rejects.toThrow(/init.address must be a string/)
      expect(channel.size).toBe(0)
    })
  })

  describe('found in review', () => {
    it('turns a request still waiting on authorize away when the channel closes', async () => {
      const { channel, handler } = setup({}, { authorize: () => new Promise<boolean>(() => {}) })
      const pending = handler(get('?topic=room:1'))
      await settled()
      await channel.close()
      const response = await pending
      expect(response.headers.get(REFUSED_HEADER)).toBe('closed')
      expect(await response.text()).toMatch(/^retry: \d+\n\n$/)
      expect(channel.size).toBe(0)
    })

    it('counts requests given no address as clients of their own, not as one', async () => {
      const { channel, handler } = setup({ maxConnectionsPerClient: 1, historySize: 10, replayBudget: 5 })
      const ids = [1, 2, 3, 4, 5, 6].map((seq) => channel.emit('n', { seq }))
      const from = { 'last-event-id': ids[0] as string }
      // Each replays 5 events, the whole budget of one client: shared, the second would be turned away.
      const first = readSse(await handler(get('', from)))
      const second = readSse(await handler(get('', from)))
      expect((await first.until(5, 'n')).length).toBe(5)
      expect((await second.until(5, 'n')).length).toBe(5)
      expect(channel.size).toBe(2)
      // Given the same address, they are one client again.
      const third = await handler(get(), { address: '10.0.0.1' })
      const fourth = await handler(get(), { address: '10.0.0.1' })
      expect(third.headers.get(REFUSED_HEADER)).toBeNull()
      expect(fourth.headers.get(REFUSED_HEADER)).toBe('busy')
      await Promise.all([first.cancel(), second.cancel(), readSse(third).cancel()])
    })

    it('answers HEAD and POST without spending or asking for a ticket', async () => {
      const issuer = createTickets({ secret: 'fetch-tickets-test-secret-0123456789abcdef' })
      const { channel, handler } = setup({}, { tickets: issuer, authorize: () => true })
      const ticket = issuer.issue({ user: 'ann', topics: ['room:1'] })
      const head = await handler(new Request(`${URL_BASE}?ticket=${ticket}`, { method: 'HEAD' }))
      expect(head.status).toBe(200)
      expect(head.body).toBeNull()
      const post = await handler(new Request(`${URL_BASE}?ticket=${ticket}`, { method: 'POST' }))
      expect(post.status).toBe(405)
      expect(post.headers.get('allow')).toBe('GET, HEAD')
      // Still unspent: the stream opens with it.
      const body = readSse(await handler(get(`?ticket=${ticket}&topic=room:1`)))
      const [hello] = await body.until(1, 'herald:hello')
      expect(dataOf<{ topics: string[] }>(hello).topics).toEqual(['room:1'])
      expect(channel.size).toBe(1)
      await body.cancel()
    })

    it('removes its abort listener when the channel throws at once (a clientKey that throws)', async () => {
      const { handler } = setup({
        clientKey: () => {
          throw new Error('no key')
        },
      })
      const request = get('', {}, new AbortController().signal)
      const before = getEventListeners(request.signal, 'abort').length
      await expect(handler(request)).rejects.toThrow('no key')
      expect(getEventListeners(request.signal, 'abort')).toHaveLength(before)
    })
  })
})
