import type http from 'node:http'
import { describe, expect, it } from 'vitest'
import { HeraldEventSource } from './event-source.ts'
import { send, sleep, sseHead, useSseServer, waitFor } from './test-sse-server.ts'

const { srv, open } = useSseServer()

interface Refusal {
  readonly path: string
  readonly reply: (res: http.ServerResponse) => Promise<void> | void
  readonly status: number
  readonly message: string
  /** The server leaves the body open, so the client must abort it. */
  readonly leftOpen: boolean
}

const refusals: Refusal[] = [
  {
    path: '/204',
    reply: (res) => void res.writeHead(204).end(),
    status: 204,
    message: 'HTTP 204 No Content',
    leftOpen: false,
  },
  {
    path: '/401',
    reply: (res) => void res.writeHead(401).end('nope'),
    status: 401,
    message: 'HTTP 401 Unauthorized',
    leftOpen: false,
  },
  {
    path: '/500',
    reply: async (res) => {
      res.writeHead(500, { 'content-type': 'text/plain' })
      await send(res, 'oops')
    },
    status: 500,
    message: 'HTTP 500 Internal Server Error',
    leftOpen: true,
  },
  {
    path: '/text-plain',
    reply: async (res) => {
      sseHead(res, 'text/plain')
      await send(res, 'data: x\n\n')
    },
    status: 200,
    message: "expected content type text/event-stream, got 'text/plain'",
    leftOpen: true,
  },
  {
    path: '/streamx',
    reply: async (res) => {
      sseHead(res, 'text/event-streamx')
      await send(res, 'data: x\n\n')
    },
    status: 200,
    message: "expected content type text/event-stream, got 'text/event-streamx'",
    leftOpen: true,
  },
  {
    path: '/no-type',
    reply: async (res) => {
      res.writeHead(200)
      await send(res, 'data: x\n\n')
    },
    status: 200,
    message: 'expected content type text/event-stream, got none',
    leftOpen: true,
  },
]

describe('HeraldEventSource: failing the connection', () => {
  it.each(refusals)('$path: closes with status $status, never reconnects, and drops the body', async (refusal) => {
    const url = srv.route(refusal.path, ({ res }) => refusal.reply(res))
    const { es, events, errors, opens } = open(url)
    await waitFor(() => errors.length === 1)
    expect(es.readyState).toBe(HeraldEventSource.CLOSED)
    expect(errors).toEqual([{ status: refusal.status, message: refusal.message, readyState: HeraldEventSource.CLOSED }])
    if (refusal.leftOpen)
      expect(await waitFor(() => srv.hits(refusal.path)[0]?.abortedAt !== undefined, 500)).toBe(true)
    await sleep(300) // no reconnect storm
    expect(srv.hits(refusal.path)).toHaveLength(1)
    expect(errors).toHaveLength(1)
    expect(opens).toEqual([])
    expect(events).toEqual([])
  })

  it('types the error event fields for addEventListener and onerror, and makes them read-only', async () => {
    const url = srv.route('/typed-error', ({ res }) => void res.writeHead(403).end())
    const es = new HeraldEventSource(url)
    const seen: (number | string | undefined)[] = []
    let event: Event | undefined
    es.onerror = (e) => seen.push(e.status)
    es.addEventListener('error', (e) => {
      seen.push(e.message)
      event = e
    })
    await waitFor(() => seen.length === 2)
    expect(seen).toEqual([403, 'HTTP 403 Forbidden'])
    expect(Object.getOwnPropertyDescriptor(event, 'status')).toMatchObject({ value: 403, writable: false })
  })
})

describe('HeraldEventSource: redirects', () => {
  const { srv: other } = useSseServer()

  it('drops Authorization and Cookie on a cross-origin redirect (CVE-2022-1650) and reports the final origin', async () => {
    const target = other.route('/target', async ({ res }) => {
      sseHead(res)
      await send(res, 'data: moved\n\n')
    })
    const url = srv.route('/redirect', ({ res }) => void res.writeHead(302, { location: target }).end())
    const { events } = open(url, { headers: { Authorization: 'Bearer secret', Cookie: 'session=1', 'X-Trace': 't' } })
    await waitFor(() => events.length === 1)
    expect(srv.hits('/redirect')[0]?.headers).toMatchObject({ authorization: 'Bearer secret', cookie: 'session=1' })
    const forwarded = other.hits('/target')[0]?.headers
    expect(forwarded).toMatchObject({ 'x-trace': 't', accept: 'text/event-stream' })
    expect(forwarded).not.toHaveProperty('authorization')
    expect(forwarded).not.toHaveProperty('cookie')
    expect(events[0]).toMatchObject({ data: 'moved', origin: other.origin })
  })
})
