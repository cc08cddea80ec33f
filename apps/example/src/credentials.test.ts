import { once } from 'node:events'
import type { IncomingHttpHeaders, Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { defineEvents } from '@herald/schema'
import { createChannel } from '@herald/server'
import { sse } from '@herald/server/koa'
import cors from '@koa/cors'
import Router from '@koa/router'
import Koa from 'koa'
import type { Browser, BrowserContext } from 'playwright-core'
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest'
import * as z from 'zod'
import { launchChromium } from '../../../scripts/chromium.mjs'

// A browser's native EventSource with `withCredentials` against a Herald stream on another
// origin, behind a cookie check and @koa/cors with credentials for the page's exact origin.
//
// Why localhost:A for the page and localhost:B for the stream: they are cross-origin (the ports
// differ) but same-site (a site is scheme + host, ports aside), so a `SameSite=Lax` cookie is
// sent with the credentialed stream request. `localhost` and `127.0.0.1` are different sites; a
// cookie would cross between them only as `SameSite=None; Secure`, which needs https, and plain
// http is all this test has. The last test shows the Lax cookie staying home across that line.

const events = defineEvents({ note: z.string() })
const channel = createChannel(events, { heartbeatMs: 0 })
const requests: IncomingHttpHeaders[] = []
const servers: Server[] = []
let browser: Browser
let pagePort: number
let otherPagePort: number
let streamUrl: string
let contexts: BrowserContext[] = []

async function listen(app: Koa): Promise<number> {
  const server = app.listen(0, '127.0.0.1')
  servers.push(server)
  await once(server, 'listening')
  return (server.address() as AddressInfo).port
}

const PAGE = `<!doctype html>
<meta charset="utf-8">
<title>credentials</title>
<script type="module">
  const log = (window.log = [])
  const source = new EventSource(new URL(location.href).searchParams.get('stream'), { withCredentials: true })
  window.source = source
  source.onopen = () => log.push('open')
  source.addEventListener('note', (event) => log.push('note:' + event.data))
  source.onerror = () => log.push('error:' + source.readyState)
</script>`

beforeAll(async () => {
  // The page: one app, served on two ports, only the first of which the stream allows.
  const pages = new Koa()
  pages.use((ctx) => {
    ctx.type = 'html'
    ctx.body = PAGE
  })
  pagePort = await listen(pages)
  otherPagePort = await listen(pages)
  const allowed = new Set([`http://localhost:${pagePort}`, `http://127.0.0.1:${pagePort}`])

  // The stream: CORS for the exact page origins with credentials, then the cookie, then Herald.
  const router = new Router()
  router.get(
    '/events',
    async (ctx, next) => {
      if (ctx.cookies.get('session') !== 'good') return ctx.throw(401, 'sign in first')
      await next()
    },
    sse(channel),
  )
  const app = new Koa()
  app.use((ctx, next) => {
    requests.push(ctx.headers)
    return next()
  })
  app.use(
    cors({
      origin: (ctx) => (allowed.has(ctx.get('Origin')) ? ctx.get('Origin') : ''),
      credentials: true,
      allowMethods: ['GET'],
    }),
  )
  app.use(router.routes())
  streamUrl = `http://localhost:${await listen(app)}/events`

  browser = await launchChromium()
})

afterEach(async () => {
  for (const context of contexts) await context.close()
  contexts = []
  requests.length = 0
  await expect.poll(() => channel.size).toBe(0)
})

afterAll(async () => {
  await browser?.close()
  await channel.close()
  for (const server of servers) {
    server.closeAllConnections()
    await new Promise((resolve) => server.close(resolve))
  }
})

/** Opens the page at `pageOrigin` in a fresh context, with the session cookie for the stream's host if `cookie`. */
async function openPage(pageOrigin: string, cookie: boolean) {
  const context = await browser.newContext()
  contexts.push(context)
  if (cookie) {
    await context.addCookies([{ name: 'session', value: 'good', url: new URL(streamUrl).origin, sameSite: 'Lax' }])
  }
  const page = await context.newPage()
  await page.goto(`${pageOrigin}/?stream=${encodeURIComponent(streamUrl)}`)
  const log = () => page.evaluate(() => (globalThis as unknown as { log: string[] }).log)
  const readyState = () => page.evaluate(() => (globalThis as unknown as { source: EventSource }).source.readyState)
  return { page, log, readyState }
}

it('receives the events with the cookie set, from an allowed origin on the same site', async () => {
  const { log, readyState } = await openPage(`http://localhost:${pagePort}`, true)
  await expect.poll(log).toEqual(['open'])
  await expect.poll(() => channel.size).toBe(1)
  channel.emit('note', 'hello')
  channel.emit('note', 'again')
  await expect.poll(log).toEqual(['open', 'note:"hello"', 'note:"again"'])
  expect(await readyState()).toBe(1)
  expect(requests).toHaveLength(1)
  expect(requests[0]?.['cookie']).toBe('session=good')
  expect(requests[0]?.['origin']).toBe(`http://localhost:${pagePort}`)
})

it('without the cookie: 401, an error, and the EventSource stays closed', async () => {
  const { log, readyState } = await openPage(`http://localhost:${pagePort}`, false)
  await expect.poll(log).toEqual(['error:2'])
  await new Promise((resolve) => setTimeout(resolve, 300)) // a native EventSource never retries a 401
  expect(await log()).toEqual(['error:2'])
  expect(await readyState()).toBe(2)
  expect(requests).toHaveLength(1)
  expect(requests[0]?.['cookie']).toBeUndefined()
  expect(channel.size).toBe(0)
})

it('from an origin not on the list: the cookie is sent, but the page may not read the stream', async () => {
  const { log, readyState } = await openPage(`http://localhost:${otherPagePort}`, true)
  await expect.poll(log).toEqual(['error:2'])
  channel.emit('note', 'unseen')
  await new Promise((resolve) => setTimeout(resolve, 300))
  expect(await log()).toEqual(['error:2'])
  expect(await readyState()).toBe(2)
  // CORS guards the reading, not the request: the server did authenticate it.
  expect(requests[0]?.['cookie']).toBe('session=good')
  expect(requests[0]?.['origin']).toBe(`http://localhost:${otherPagePort}`)
})

it('from 127.0.0.1 (another site, though allowed by CORS): the Lax cookie is not sent, so 401', async () => {
  const { log } = await openPage(`http://127.0.0.1:${pagePort}`, true)
  await expect.poll(log).toEqual(['error:2'])
  expect(requests).toHaveLength(1)
  expect(requests[0]?.['origin']).toBe(`http://127.0.0.1:${pagePort}`)
  expect(requests[0]?.['cookie']).toBeUndefined()
})
