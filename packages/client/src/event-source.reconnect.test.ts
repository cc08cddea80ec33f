import { describe, it } from 'vitest'
import { HeraldEventSource } from './event-source.ts'
import { end, send, sleep, sseHead, startSseServer, useSseServer, waitFor } from './test-sse-server.ts'

// The tests run at the same time, each on its own path (each mostly waits on a retry), so each
// closes its own sources when it finishes.
const { srv, openFor } = useSseServer()

/** A route whose first connection sends `first` (after a short retry) and ends; later ones send `rest`. */
function twoConnections(path: string, first: string[], rest: string[] = ['data: later\n\n']): string {
  return srv.route(path, async (ctx) => {
    sseHead(ctx.res)
    for (const piece of ctx.n === 0 ? ['retry: 20\n\n', ...first] : rest) await send(ctx.res, piece)
    if (ctx.n === 0) end(ctx)
  })
}

const lastEventIdHeader = (path: string, n: number) => srv.hits(path)[n]?.headers['last-event-id']

describe.concurrent('HeraldEventSource: last event ID across reconnects', () => {
  it('takes an id-only block, sends it on reconnect and keeps it for later events', async ({
    expect,
    onTestFinished,
  }) => {
    const open = openFor(onTestFinished)
    const url = twoConnections('/id-only', ['id: 9\n\n', 'data: c\n\n'])
    const { events } = open(url)
    await waitFor(() => events.length === 2)
    expect(events.map((e) => [e.data, e.lastEventId])).toEqual([
      ['c', '9'],
      ['later', '9'],
    ])
    expect(lastEventIdHeader('/id-only', 1)).toBe('9')
  })

  it('clears it with an empty id, alone or beside data, and then sends no header', async ({
    expect,
    onTestFinished,
  }) => {
    const open = openFor(onTestFinished)
    for (const [path, blocks] of [
      ['/empty-id', ['id: 5\ndata: d\n\n', 'id:\n\n', 'data: e\n\n']],
      ['/empty-id-data', ['id: 5\ndata: d\n\n', 'id:\ndata: e\n\n']],
    ] as const) {
      const { events } = open(twoConnections(path, [...blocks]))
      await waitFor(() => events.length === 3)
      expect(events.map((e) => [e.data, e.lastEventId])).toEqual([
        ['d', '5'],
        ['e', ''],
        ['later', ''],
      ])
      expect(srv.hits(path)[1]?.headers).not.toHaveProperty('last-event-id')
    }
  })

  it('ignores an id containing NUL', async ({ expect, onTestFinished }) => {
    const open = openFor(onTestFinished)
    const url = twoConnections('/nul-id', ['id: 3\ndata: a\n\n', 'id: x\0y\ndata: b\n\n'])
    const { events } = open(url)
    await waitFor(() => events.length === 3)
    expect(events.map((e) => e.lastEventId)).toEqual(['3', '3', '3'])
    expect(lastEventIdHeader('/nul-id', 1)).toBe('3')
  })

  it('drops an unfinished event at EOF, and its pending id', async ({ expect, onTestFinished }) => {
    const open = openFor(onTestFinished)
    const url = twoConnections('/partial', ['id: 1\ndata: a\n\n', 'id: 2\ndata: partial\n'])
    const { events } = open(url)
    await waitFor(() => events.length === 2)
    expect(events.map((e) => [e.data, e.lastEventId])).toEqual([
      ['a', '1'],
      ['later', '1'],
    ])
    expect(lastEventIdHeader('/partial', 1)).toBe('1')
  })
})

describe.concurrent('HeraldEventSource: reconnection time', () => {
  it('waits at least 100 ms for retry: 0', async ({ expect, onTestFinished }) => {
    const open = openFor(onTestFinished)
    const url = twoConnections('/retry-0', ['retry: 0\ndata: a\n\n'])
    const { events, errors } = open(url)
    await waitFor(() => events.length === 2)
    const [first, second] = srv.hits('/retry-0')
    expect((second?.at ?? Number.NaN) - (first?.endedAt ?? Number.NaN)).toBeGreaterThanOrEqual(95)
    const announced = Number(/(\d+) ms$/.exec(errors[0]?.message ?? '')?.[1])
    expect(announced).toBeGreaterThanOrEqual(100)
    expect(announced).toBeLessThanOrEqual(150)
  })

  it('reconnects after a network error mid-stream', async ({ expect, onTestFinished }) => {
    const open = openFor(onTestFinished)
    const url = srv.route('/reset', async (ctx) => {
      sseHead(ctx.res)
      await send(ctx.res, 'retry: 20\nid: r1\ndata: a\n\n')
      if (ctx.n === 0) ctx.req.socket.destroy()
    })
    const { events, errors } = open(url)
    await waitFor(() => events.length === 2)
    expect(errors).toHaveLength(1)
    expect(errors[0]?.readyState).toBe(HeraldEventSource.CONNECTING)
    expect(errors[0]?.status).toBeUndefined()
    expect(srv.hits('/reset')[1]?.headers['last-event-id']).toBe('r1')
  })

  it('treats a refused connection as a network error and waits the default 3 s', async ({ expect, onTestFinished }) => {
    const open = openFor(onTestFinished)
    const closed = await startSseServer()
    await closed.close()
    const { es, errors } = open(`${closed.origin}/refused`)
    await waitFor(() => errors.length === 1)
    await sleep(300)
    expect(errors).toHaveLength(1)
    expect(errors[0]?.readyState).toBe(HeraldEventSource.CONNECTING)
    expect(errors[0]?.message).toMatch(/ECONNREFUSED/)
    expect(es.readyState).toBe(HeraldEventSource.CONNECTING)
  })

  it('does not reconnect when an error listener calls close()', async ({ expect, onTestFinished }) => {
    const open = openFor(onTestFinished)
    const url = twoConnections('/close-on-error', ['data: a\n\n'])
    const { es, errors } = open(url)
    es.onerror = () => es.close()
    await waitFor(() => errors.length === 1)
    await sleep(150)
    expect(srv.hits('/close-on-error')).toHaveLength(1)
    expect(es.readyState).toBe(HeraldEventSource.CLOSED)
  })
})

describe.concurrent('HeraldEventSource: headers option', () => {
  it('sends static headers on every connection, under the spec headers', async ({ expect, onTestFinished }) => {
    const open = openFor(onTestFinished)
    const url = twoConnections('/static-headers', ['id: s\ndata: a\n\n'])
    open(url, { headers: { 'X-Custom': 'yes', Accept: 'text/html', 'Last-Event-ID': 'forged' } })
    await waitFor(() => srv.hits('/static-headers').length === 2)
    const [h0, h1] = srv.hits('/static-headers').map((hit) => hit.headers)
    expect(h0).toMatchObject({ 'x-custom': 'yes', accept: 'text/event-stream' })
    expect(h0).not.toHaveProperty('last-event-id')
    expect(h1).toMatchObject({ 'x-custom': 'yes', 'last-event-id': 's' })
  })

  it('calls a function form before every connect, sync or async, for a fresh token', async ({
    expect,
    onTestFinished,
  }) => {
    const open = openFor(onTestFinished)
    let calls = 0
    const url = twoConnections('/token', ['id: h1\ndata: a\n\n'])
    const { events } = open(url, {
      headers: async () => {
        calls++
        await sleep(5)
        return [['Authorization', `Bearer token-${calls}`]]
      },
    })
    await waitFor(() => events.length === 2)
    const [h0, h1] = srv.hits('/token').map((hit) => hit.headers)
    expect(h0?.authorization).toBe('Bearer token-1')
    expect(h1).toMatchObject({ authorization: 'Bearer token-2', 'last-event-id': 'h1' })
  })

  it('retries when the headers function throws, without a request', async ({ expect, onTestFinished }) => {
    const open = openFor(onTestFinished)
    let calls = 0
    const url = twoConnections('/token-fails', ['data: a\n\n'])
    const { events, errors } = open(url, {
      headers: () => {
        calls++
        if (calls === 2) throw new Error('token service down')
        return { Authorization: `Bearer ${calls}` }
      },
    })
    await waitFor(() => events.length === 2)
    expect(errors.map((e) => e.message?.replace(/; retrying in \d+ ms$/, ''))).toEqual([
      'stream ended',
      'token service down',
    ])
    expect(srv.hits('/token-fails').map((hit) => hit.headers.authorization)).toEqual(['Bearer 1', 'Bearer 3'])
  })
})

// Each on its own: the measured delay has an upper bound, which time spent on the tests beside it
// (running at the same time) would eat into on a loaded machine.
describe('HeraldEventSource: reconnection time, measured alone', () => {
  it('honours retry (plus jitter), fires error with readyState CONNECTING, and resends Last-Event-ID', async ({
    expect,
    onTestFinished,
  }) => {
    const open = openFor(onTestFinished)
    const url = twoConnections('/retry', ['retry: 150\nid: 42\ndata: a\n\n'])
    const { events, errors } = open(url)
    await waitFor(() => events.length === 2)
    const [first, second] = srv.hits('/retry')
    const delay = (second?.at ?? Number.NaN) - (first?.endedAt ?? Number.NaN)
    // The retry time, stretched by up to half at random: 150 to 225 ms.
    expect(delay).toBeGreaterThanOrEqual(140)
    expect(delay).toBeLessThan(500)
    expect(second?.headers['last-event-id']).toBe('42')
    expect(errors).toEqual([
      {
        status: undefined,
        message: expect.stringMatching(/^stream ended; retrying in \d+ ms$/),
        readyState: HeraldEventSource.CONNECTING,
      },
    ])
    const announced = Number(/(\d+) ms$/.exec(errors[0]?.message ?? '')?.[1])
    expect(announced).toBeGreaterThanOrEqual(150)
    expect(announced).toBeLessThanOrEqual(225)
  })

  it('ignores retry values that are not all ASCII digits or are absurd', async ({ expect, onTestFinished }) => {
    const open = openFor(onTestFinished)
    const bogus = ['5x', ' 20', '-1', '1e1', '2.5', '', '+5', '99999999999', '9'.repeat(5000)]
    const url = twoConnections('/bogus-retry', ['retry: 150\n', ...bogus.map((v) => `retry: ${v}\n`), '\n'])
    open(url)
    await waitFor(() => srv.hits('/bogus-retry').length === 2)
    const [first, second] = srv.hits('/bogus-retry')
    const delay = (second?.at ?? Number.NaN) - (first?.endedAt ?? Number.NaN)
    expect(delay).toBeGreaterThanOrEqual(140)
    expect(delay).toBeLessThan(600)
  })
})
