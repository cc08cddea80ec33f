import { describe, expect, it } from 'vitest'
import {
  type EventSourceConstructor,
  type EventSourceLike,
  HeraldEventSource,
  type HeraldEventSourceInit,
} from './event-source.ts'
import { end, send, sleep, sseHead, useSseServer, waitFor } from './test-sse-server.ts'

const { srv, open } = useSseServer()

const pick = (events: { type: string; data: string; lastEventId: string }[]) =>
  events.map(({ type, data, lastEventId }) => ({ type, data, lastEventId }))

describe('HeraldEventSource: interface', () => {
  it('fits EventSourceConstructor, as the browser EventSource type does', () => {
    const constructors: (EventSourceConstructor | undefined)[] = [HeraldEventSource, globalThis.EventSource]
    const like: EventSourceLike = new HeraldEventSource('http://127.0.0.1:9/', { fetch: () => new Promise(() => {}) })
    like.close()
    expect(constructors[0]).toBe(HeraldEventSource)
    expect([HeraldEventSource.CONNECTING, HeraldEventSource.OPEN, HeraldEventSource.CLOSED]).toEqual([0, 1, 2])
  })

  it('resolves the URL and rejects an unparsable one with a SyntaxError', () => {
    const es = new HeraldEventSource(new URL('http://127.0.0.1:9/a/../b?x=1'), { fetch: () => new Promise(() => {}) })
    expect(es.url).toBe('http://127.0.0.1:9/b?x=1')
    expect(es.withCredentials).toBe(false)
    expect([es.CONNECTING, es.OPEN, es.CLOSED]).toEqual([0, 1, 2])
    es.close()
    expect(() => new HeraldEventSource('not a url')).toThrow(expect.objectContaining({ name: 'SyntaxError' }))
  })

  it("throws INVALID_OPTIONS for Herald's own options out of range, before any request", () => {
    let requests = 0
    const fetch = () => {
      requests++
      return new Promise<Response>(() => {})
    }
    const wrong: [init: unknown, message: string][] = [
      [null, 'HeraldEventSource: options must be an object, received null'],
      [
        { retryMs: -1 },
        "HeraldEventSource: option 'retryMs' must be a whole number of milliseconds from 0 to 2147483647, received -1",
      ],
      [
        { maxRetryMs: 2 ** 31 },
        "HeraldEventSource: option 'maxRetryMs' must be a whole number of milliseconds from 0 to 2147483647, received 2147483648",
      ],
      [
        { retryMs: Number.NaN },
        "HeraldEventSource: option 'retryMs' must be a whole number of milliseconds from 0 to 2147483647, received NaN",
      ],
      [{ maxLineLength: 1.5 }, "HeraldEventSource: option 'maxLineLength' must be a whole number ≥ 0, received 1.5"],
      [
        { lastEventId: 'a\0b' },
        `HeraldEventSource: option 'lastEventId' must be a string without NUL, CR or LF, received "a\\u0000b"`,
      ],
      [{ onParseError: true }, "HeraldEventSource: option 'onParseError' must be a function, received boolean"],
    ]
    for (const [init, message] of wrong) {
      const options = init === null ? null : { fetch, ...(init as object) }
      expect(() => new HeraldEventSource('http://127.0.0.1:9/', options as HeraldEventSourceInit)).toThrow(
        expect.objectContaining({ code: 'INVALID_OPTIONS', message }),
      )
    }
    expect(requests).toBe(0)
  })

  it('goes CONNECTING -> OPEN, calls onopen/onmessage with `this`, and sets origin', async () => {
    const url = srv.route('/basic', async ({ res }) => {
      sseHead(res)
      await send(res, 'data: hi\n\n')
    })
    const es = new HeraldEventSource(url)
    const seen: string[] = []
    expect(es.readyState).toBe(HeraldEventSource.CONNECTING)
    es.onopen = function () {
      seen.push(`open ${this === es} ${this.readyState}`)
    }
    es.onmessage = (e) => seen.push(`message ${e.data} ${e.origin} ${e instanceof MessageEvent}`)
    await waitFor(() => seen.length === 2)
    es.close()
    expect(es.readyState).toBe(HeraldEventSource.CLOSED)
    expect(seen).toEqual(['open true 1', `message hi ${srv.origin} true`])
  })

  it("opens and dispatches a non-Herald stream that has a Retry-After header (only Herald-Refused means 'turned away')", async () => {
    const url = srv.route('/retry-after', async ({ res }) => {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'retry-after': '120' })
      await send(res, 'data: kept\n\n')
    })
    const { es, events, opens } = open(url)
    await waitFor(() => events.length === 1)
    expect(opens).toHaveLength(1)
    expect(es.readyState).toBe(HeraldEventSource.OPEN)
    expect(events.map((event) => event.data)).toEqual(['kept'])
  })

  it('sends Accept, Cache-Control and, only when given, Last-Event-ID as UTF-8 bytes', async () => {
    const url = srv.route('/headers', ({ res }) => sseHead(res))
    open(url)
    open(url, { lastEventId: 'é€' })
    await waitFor(() => srv.hits('/headers').length === 2)
    const [first, second] = srv.hits('/headers').map((hit) => hit.headers)
    expect(first).toMatchObject({ accept: 'text/event-stream', 'cache-control': 'no-store' })
    expect(first).not.toHaveProperty('last-event-id')
    expect(Buffer.from(String(second?.['last-event-id']), 'latin1').toString('utf8')).toBe('é€')
  })
})

describe('HeraldEventSource: parsing over real chunks', () => {
  it('dispatches a lone-CR event at once, while the server goes quiet', async () => {
    let release = (): void => {}
    const quiet = new Promise<void>((resolve) => {
      release = resolve
    })
    const url = srv.route('/cr', async ({ res }) => {
      sseHead(res)
      await send(res, 'event: a\rdata: x\r\r')
      await quiet
      await send(res, 'data: y\n\n')
    })
    const { events } = open(url, {}, ['a'])
    expect(await waitFor(() => events.length === 1, 400)).toBe(true)
    release()
    await waitFor(() => events.length === 2)
    expect(pick(events)).toEqual([
      { type: 'a', data: 'x', lastEventId: '' },
      { type: 'message', data: 'y', lastEventId: '' },
    ])
  })

  it("shows the block's topic lines on the message as `topics`, [] for a broadcast", async () => {
    const url = srv.route('/topics', async ({ res }) => {
      sseHead(res)
      await send(
        res,
        'id: e-1-0\nevent: m\ntopic: room:42\ntopic: user:ada\ndata: 1\n\nid: e-1-1\nevent: m\ndata: 2\n\n',
      )
    })
    const es = new HeraldEventSource(url)
    const topics: (readonly string[])[] = []
    es.addEventListener('m', (event) => topics.push(event.topics))
    await waitFor(() => topics.length === 2)
    es.close()
    expect(topics).toEqual([['room:42', 'user:ada'], []])
  })

  it('joins a CRLF split byte by byte', async () => {
    const url = srv.route('/crlf', async ({ res }) => {
      sseHead(res)
      for (const piece of ['data: x', '\r', '\n', 'data: y', '\r', '\n', '\r', '\n', 'data: z\r', '\n\n']) {
        await send(res, piece)
      }
    })
    const { events } = open(url)
    await waitFor(() => events.length === 2)
    await sleep(50)
    expect(events.map((e) => e.data)).toEqual(['x\ny', 'z'])
  })

  it('keeps a UTF-8 character split over three chunks', async () => {
    const url = srv.route('/utf8', async ({ res }) => {
      sseHead(res)
      await send(res, Buffer.from([...Buffer.from('data: '), 0xe2]))
      await send(res, Buffer.from([0x82]))
      await send(res, Buffer.from([0xac, ...Buffer.from(' ok\n\n')]))
    })
    const { events } = open(url)
    await waitFor(() => events.length === 1)
    expect(events[0]?.data).toBe('€ ok')
  })

  it('strips a leading BOM, whole or split, on every connection', async () => {
    const bom = [0xef, 0xbb, 0xbf]
    const url = srv.route('/bom', async (ctx) => {
      sseHead(ctx.res)
      if (ctx.n === 0) {
        await send(ctx.res, Buffer.from([...bom, ...Buffer.from('retry: 20\ndata: a\n\n')]))
        end(ctx)
      } else {
        await send(ctx.res, Buffer.from([0xef]))
        await send(ctx.res, Buffer.from([0xbb, 0xbf]))
        await send(ctx.res, 'data: b\n\n')
      }
    })
    const { events } = open(url)
    await waitFor(() => events.length === 2)
    expect(events.map((e) => e.data)).toEqual(['a', 'b'])
  })

  it('carries lastEventId to later events and dispatches named, multi-line events', async () => {
    const url = srv.route('/ids', async ({ res }) => {
      sseHead(res)
      await send(res, 'id: 7\ndata: a\n\n')
      await send(res, ': comment\n\nevent: tick\ndata: 1\ndata:2\n\n')
    })
    const { events } = open(url, {}, ['tick'])
    await waitFor(() => events.length === 2)
    expect(pick(events)).toEqual([
      { type: 'message', data: 'a', lastEventId: '7' },
      { type: 'tick', data: '1\n2', lastEventId: '7' },
    ])
  })

  it.each(['text/event-stream; charset=utf-8', 'Text/Event-Stream', 'TEXT/EVENT-STREAM ; charset=UTF-8'])(
    'accepts the content type %j',
    async (type) => {
      const url = srv.route(`/type-${encodeURIComponent(type)}`, async ({ res }) => {
        sseHead(res, type)
        await send(res, 'data: m\n\n')
      })
      const { events, opens } = open(url)
      await waitFor(() => events.length === 1)
      expect(opens).toHaveLength(1)
    },
  )

  it('reports a dropped over-long line to onParseError and keeps streaming', async () => {
    const url = srv.route('/long', async ({ res }) => {
      sseHead(res)
      for (let i = 0; i < 5; i++) await send(res, 'data: 0123456789')
      await send(res, '\n\ndata: ok\n\n')
    })
    const problems: string[] = []
    const { es, events } = open(url, { maxLineLength: 32, onParseError: (message) => problems.push(message) })
    await waitFor(() => events.length === 1)
    expect(events[0]?.data).toBe('ok')
    expect(problems).toEqual(['line longer than 32 characters dropped with its event'])
    expect(es.readyState).toBe(HeraldEventSource.OPEN)
  })
})
