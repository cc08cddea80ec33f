import { once } from 'node:events'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { createClient, type HeraldError } from '@herald/client'
import { defineEvents } from '@herald/schema'
import cors from '@koa/cors'
import Router from '@koa/router'
import Koa, { type Middleware } from 'koa'
import { describe, expect, it } from 'vitest'
import * as z from 'zod'
import { createChannel } from './channel.ts'
import { sse } from './koa.ts'
import { useCleanup } from './test-server.ts'
import type { Channel } from './types.ts'

// Guarantee 7: access control is Koa middleware placed before `sse(channel)`, so a refused
// request is answered by Koa before Herald writes a byte; CORS is @koa/cors with an explicit
// origin allowlist and credentials. `createApp` is the setup the README recommends.

const events = defineEvents({ note: z.string() })
type Events = typeof events

const ALLOWED_ORIGINS = new Set(['https://app.example.com', 'http://localhost:5173'])

interface App {
  readonly url: string
  readonly channel: Channel<Events>
  readonly userChannels: Map<string, Channel<Events>>
  /** Live tokens and whom they belong to; delete one to revoke it. */
  readonly tokens: Map<string, string>
  /** Destroys every open socket, as a network failure would. */
  drop(): void
}

/** The recommended setup: CORS first (preflights carry no credentials), then auth, then the stream. */
async function createApp(): Promise<App> {
  const tokens = new Map([
    ['token-alice', 'alice'],
    ['token-bob', 'bob'],
  ])
  const channel = createChannel(events, { heartbeatMs: 0, retryMs: 20 })
  const userChannels = new Map(['alice', 'bob'].map((user) => [user, createChannel(events, { heartbeatMs: 0 })]))

  // Who is asking: a bearer token (Herald's Node client, `headers`) or the session cookie (a
  // browser's EventSource, `withCredentials`). 401 for nobody, 403 for a token we don't know.
  const authenticate: Middleware = async (ctx, next) => {
    const bearer = /^Bearer (.+)$/.exec(ctx.get('Authorization'))?.[1]
    const token = bearer ?? ctx.cookies.get('session')
    if (token === undefined) return ctx.throw(401, 'sign in first', { headers: { 'WWW-Authenticate': 'Bearer' } })
    const user = tokens.get(token)
    if (user === undefined) return ctx.throw(403, 'unknown or revoked token')
    ctx.state['user'] = user
    await next()
  }

  const router = new Router()
  router.get('/events', authenticate, sse(channel))
  // One channel per user: the check runs before the stream, so a Last-Event-ID never replays
  // another user's events.
  router.get('/users/:user/events', authenticate, (ctx, next) => {
    const owned = userChannels.get(ctx.params['user'] ?? '')
    if (owned === undefined || ctx.params['user'] !== ctx.state['user']) return ctx.throw(403, 'not your channel')
    return sse(owned)(ctx, next)
  })

  const app = new Koa()
  app.use(
    cors({
      // An exact allowlist. Never leave `origin` out with `credentials: true`: @koa/cors then
      // reflects every origin (see the last test).
      origin: (ctx) => (ALLOWED_ORIGINS.has(ctx.get('Origin')) ? ctx.get('Origin') : ''),
      credentials: true,
      allowMethods: ['GET'],
      // What Herald's fetch-based EventSource sends from a browser, besides simple headers.
      allowHeaders: ['Authorization', 'Last-Event-ID', 'Cache-Control'],
      maxAge: 600,
    }),
  )
  app.use(router.routes())
  app.use(router.allowedMethods())

  const server = app.listen(0, '127.0.0.1')
  await once(server, 'listening')
  defer(async () => {
    await channel.close()
    for (const owned of userChannels.values()) await owned.close()
    server.closeAllConnections()
    await new Promise((resolve) => server.close(resolve))
  })
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    channel,
    userChannels,
    tokens,
    drop: () => server.closeAllConnections(),
  }
}

const defer = useCleanup()

interface Answer {
  readonly status: number
  readonly headers: http.IncomingHttpHeaders
  readonly body: string
}

/** One request; a stream is read until its opening block and then dropped, any other body to its end. */
function ask(url: string, headers: Record<string, string> = {}, method = 'GET'): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const request = http.request(url, { method, headers }, (res) => {
      let body = ''
      const done = () => {
        request.destroy()
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body })
      }
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => {
        body += chunk
        if (body.includes('event: herald:hello')) done()
      })
      res.on('end', done)
      res.on('error', () => {})
    })
    request.on('error', reject)
    request.end()
  })
}

/** Asserts Koa refused the request with `status` before Herald wrote anything. */
function expectRefused(answer: Answer, status: number, channel: Channel<Events>) {
  expect(answer.status).toBe(status)
  expect(answer.headers['content-type']).not.toMatch(/event-stream/)
  expect(answer.body).not.toMatch(/^(event|data|id|retry):/m)
  expect(channel.size).toBe(0)
}

describe('access control by middleware order', () => {
  it('refuses a request without credentials with 401 before any stream or replay byte', async () => {
    const { url, channel } = await createApp()
    const id = channel.emit('note', 'secret')
    const answer = await ask(`${url}/events`, { 'last-event-id': '0-0' })
    expectRefused(answer, 401, channel)
    expect(answer.headers['www-authenticate']).toBe('Bearer')
    expect(answer.body).toBe('sign in first')
    // A resume point from the history doesn't get past the check either.
    expectRefused(await ask(`${url}/events?lastEventId=${id}`), 401, channel)
    expect((await ask(`${url}/events`, { authorization: 'Basic dXNlcg==' })).status).toBe(401)
  })

  it('refuses an unknown token or cookie with 403, and lets a known one through', async () => {
    const { url, channel } = await createApp()
    expectRefused(await ask(`${url}/events`, { authorization: 'Bearer forged' }), 403, channel)
    expectRefused(await ask(`${url}/events`, { cookie: 'session=forged' }), 403, channel)
    for (const headers of [{ authorization: 'Bearer token-alice' }, { cookie: 'session=token-bob' }]) {
      const answer = await ask(`${url}/events`, headers)
      expect(answer.status).toBe(200)
      expect(answer.headers['content-type']).toBe('text/event-stream; charset=utf-8')
      expect(answer.body).toContain('event: herald:hello')
    }
  })

  it("refuses a user asking for another user's channel with 403, replay included", async () => {
    const { url, userChannels } = await createApp()
    const bob = userChannels.get('bob') as Channel<Events>
    const id = bob.emit('note', "bob's secret")
    const answer = await ask(`${url}/users/bob/events`, { authorization: 'Bearer token-alice', 'last-event-id': id })
    expectRefused(answer, 403, bob)
    expect(answer.body).not.toContain('secret')
    const own = await ask(`${url}/users/alice/events`, { authorization: 'Bearer token-alice' })
    expect(own.status).toBe(200)
  })

  it("lets Herald's Node client in with the headers option, calling it before every connect", async () => {
    const { url, channel, drop } = await createApp()
    let calls = 0
    const client = createClient(events, `${url}/events`, {
      headers: () => {
        calls += 1
        return { Authorization: 'Bearer token-alice' }
      },
    })
    defer(() => client.close())
    const notes: string[] = []
    client.on('note', (note) => notes.push(note))
    await expect.poll(() => client.state).toBe('open')
    channel.emit('note', 'one')
    await expect.poll(() => notes).toEqual(['one'])
    drop()
    await expect.poll(() => calls).toBe(2)
    await expect.poll(() => client.state).toBe('open')
    channel.emit('note', 'two')
    await expect.poll(() => notes).toEqual(['one', 'two'])
  })

  it('without the headers option the client gets CONNECTION_FAILED 401 and stops for good', async () => {
    const { url, channel } = await createApp()
    const client = createClient(events, `${url}/events`)
    defer(() => client.close())
    const errors: HeraldError[] = []
    const states = [client.state]
    client.onError((error) => errors.push(error))
    client.onState((state) => states.push(state))
    await expect.poll(() => client.state).toBe('closed')
    await new Promise((resolve) => setTimeout(resolve, 150)) // no retry follows
    expect(errors.map((error) => [error.code, error.status])).toEqual([['CONNECTION_FAILED', 401]])
    expect(states).toEqual(['connecting', 'closed'])
    expect(channel.size).toBe(0)
  })

  it('a token revoked while connected: the reconnect is refused with 403 and the client stops', async () => {
    const { url, tokens, drop } = await createApp()
    const client = createClient(events, `${url}/events`, { headers: { Authorization: 'Bearer token-alice' } })
    defer(() => client.close())
    const errors: HeraldError[] = []
    client.onError((error) => errors.push(error))
    await expect.poll(() => client.state).toBe('open')
    tokens.delete('token-alice')
    drop()
    await expect.poll(() => client.state).toBe('closed')
    expect(errors.map((error) => [error.code, error.status])).toEqual([
      ['CONNECTION_LOST', undefined],
      ['CONNECTION_FAILED', 403],
    ])
  })
})

describe('CORS with an origin allowlist and credentials (@koa/cors)', () => {
  const signedIn = { cookie: 'session=token-alice' }

  it.each([...ALLOWED_ORIGINS])('%s: the exact origin echoed, credentials allowed, Vary: Origin', async (origin) => {
    const { url } = await createApp()
    const answer = await ask(`${url}/events`, { ...signedIn, origin })
    expect(answer.status).toBe(200)
    expect(answer.headers['access-control-allow-origin']).toBe(origin)
    expect(answer.headers['access-control-allow-credentials']).toBe('true')
    expect(answer.headers['vary']).toMatch(/\bOrigin\b/)
    // Herald's SSE headers survive next to the CORS ones.
    expect(answer.headers['cache-control']).toBe('no-cache, no-transform')
  })

  it.each([
    'https://evil.example',
    'null',
    'https://app.example.com.evil.example',
    'https://evil.example/https://app.example.com',
    'http://app.example.com',
    'https://APP.example.com',
    'https://app.example.com:443',
    '*',
  ])('%s: no Access-Control-Allow-* header, never * or a reflection', async (origin) => {
    const { url } = await createApp()
    const answer = await ask(`${url}/events`, { ...signedIn, origin })
    expect(answer.headers['access-control-allow-origin']).toBeUndefined()
    expect(answer.headers['access-control-allow-credentials']).toBeUndefined()
    expect(answer.headers['vary']).toMatch(/\bOrigin\b/)
    // CORS keeps the page from reading the stream; it does not stop the request, so the stream
    // must not have side effects, and the cookie is what authenticates it (SameSite guards that).
    expect(answer.status).toBe(200)
  })

  it('keeps the CORS headers on a 401, so a fetch-based client in the page can read the status', async () => {
    const { url, channel } = await createApp()
    const answer = await ask(`${url}/events`, { origin: 'https://app.example.com' })
    expectRefused(answer, 401, channel)
    expect(answer.headers['access-control-allow-origin']).toBe('https://app.example.com')
    expect(answer.headers['access-control-allow-credentials']).toBe('true')
    expect(answer.headers['vary']).toMatch(/\bOrigin\b/)
  })

  it('answers the preflight for Authorization, Last-Event-ID and Cache-Control, without credentials', async () => {
    const { url, channel } = await createApp()
    const preflight = {
      origin: 'https://app.example.com',
      'access-control-request-method': 'GET',
      'access-control-request-headers': 'authorization,cache-control,last-event-id',
    }
    const answer = await ask(`${url}/events`, preflight, 'OPTIONS')
    expect(answer.status).toBe(204)
    expect(answer.headers['access-control-allow-origin']).toBe('https://app.example.com')
    expect(answer.headers['access-control-allow-credentials']).toBe('true')
    expect(answer.headers['access-control-allow-methods']).toBe('GET')
    const allowed = (answer.headers['access-control-allow-headers'] ?? '').toLowerCase().split(',')
    expect(allowed).toEqual(expect.arrayContaining(['authorization', 'last-event-id', 'cache-control']))
    expect(answer.headers['access-control-max-age']).toBe('600')
    expect(answer.headers['vary']).toMatch(/\bOrigin\b/)
    expect(channel.size).toBe(0)

    const refused = await ask(`${url}/events`, { ...preflight, origin: 'https://evil.example' }, 'OPTIONS')
    expect(refused.headers['access-control-allow-origin']).toBeUndefined()
    expect(refused.headers['access-control-allow-headers']).toBeUndefined()
    expect(refused.headers['access-control-allow-credentials']).toBeUndefined()
  })

  it('the trap this setup avoids: @koa/cors with credentials and no origin reflects any origin', async () => {
    const app = new Koa()
    app.use(cors({ credentials: true }))
    app.use((ctx) => {
      ctx.body = 'ok'
    })
    const server = app.listen(0, '127.0.0.1')
    await once(server, 'listening')
    defer(() => new Promise((resolve) => server.close(resolve)))
    const answer = await ask(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`, {
      origin: 'https://evil.example',
    })
    expect(answer.headers['access-control-allow-origin']).toBe('https://evil.example')
    expect(answer.headers['access-control-allow-credentials']).toBe('true')
  })
})
