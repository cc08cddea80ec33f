import type { AddressInfo } from 'node:net'
import { fileURLToPath } from 'node:url'
import { type AnyEvents, defineEvents } from '@herald/schema'
import { createChannel } from '@herald/server'
import { sse } from '@herald/server/koa'
import Koa from 'koa'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import * as z from 'zod'
import { launchChromium } from '../../../scripts/chromium.mjs'
// @ts-expect-error a plain .mjs script, without type declarations
import { buildWithVite, upFrontChunks } from '../../../scripts/size.mjs'
import { cleanups } from './test-herald-server.ts'
import { sharedEvents } from './test-shared-events.ts'

// The client loads its connection with `import()`, so an app's bundler splits it out of what the
// page loads up front. Here a real bundler (Vite 8) builds a page, a real Koa server serves its
// files and Herald's stream, and Debian's headless Chromium runs it.

interface Chunk {
  fileName: string
  code: string
  isEntry: boolean
  isDynamicEntry: boolean
  imports: string[]
}

const events = defineEvents({ seq: z.number().int() })
const page = (name: string) => fileURLToPath(new URL(name, import.meta.url))
// A message only the connection's code holds: the watchdog's.
const connectionOnly = 'nothing received for'
const jobs = cleanups()

let chunks: Chunk[] = []
let sharedChunks: Chunk[] = []
let browser: Browser | undefined
beforeAll(async () => {
  chunks = await buildWithVite(page('./test-split-page.ts'))
  sharedChunks = await buildWithVite(page('./test-shared-page.ts'))
  browser = await launchChromium()
}, 60_000)
afterEach(() => jobs.run())
afterAll(() => browser?.close())

/** Opens `url` in a new tab (of `context`, else of a context of its own). */
async function open(url: string, context?: BrowserContext): Promise<Page> {
  if (browser === undefined) throw new Error('no browser')
  const tab = await (context ?? browser).newPage()
  jobs.add(() => tab.close())
  await tab.goto(url)
  return tab
}

/**
 * Serves a page's files and a stream of `contract` at `/events` (every topic allowed), answering
 * 404 to the first `missing` requests for the connection's chunk; records the paths requested.
 */
async function serve<TEvents extends AnyEvents>(contract: TEvents, files: Chunk[], missing = 0) {
  const channel = createChannel(contract, { heartbeatMs: 0 })
  const stream = sse(channel, { authorize: () => true })
  const requested: string[] = []
  const app = new Koa()
  app.silent = true
  const entry = files.find((chunk) => chunk.isEntry)
  app.use(async (ctx, next) => {
    requested.push(ctx.path)
    if (ctx.path === '/events') return stream(ctx, next)
    if (ctx.path === '/') {
      ctx.type = 'html'
      ctx.body = `<!doctype html><html><head><meta charset="utf-8"><link rel="icon" href="data:,"></head><body><script type="module" src="/${entry?.fileName}"></script></body></html>`
      return
    }
    const chunk = files.find((file) => `/${file.fileName}` === ctx.path)
    if (chunk === undefined) return
    if (chunk.isDynamicEntry && missing-- > 0) return
    ctx.type = 'text/javascript'
    ctx.body = chunk.code
  })
  const http = app.listen(0, '127.0.0.1')
  await new Promise<void>((resolve) => http.once('listening', resolve))
  jobs.add(async () => {
    await channel.close()
    http.closeAllConnections()
    await new Promise<void>((resolve) => http.close(() => resolve()))
  })
  return { channel, requested, origin: `http://127.0.0.1:${(http.address() as AddressInfo).port}` }
}

describe('a Vite build of a page with a client', () => {
  it("splits the connection's code into a chunk the page loads when the client is created", () => {
    const lazy = chunks.filter((chunk) => chunk.isDynamicEntry)
    expect(lazy).toHaveLength(1)
    expect(lazy[0]?.code).toContain(connectionOnly)
    for (const chunk of upFrontChunks(chunks) as Set<Chunk>)
      expect(chunk.code, chunk.fileName).not.toContain(connectionOnly)
  })

  it('connects through that chunk, and events flow', async () => {
    const server = await serve(events, chunks)
    const page = await open(server.origin)
    await expect.poll(() => server.channel.size, { timeout: 10_000 }).toBe(1)
    server.channel.emit('seq', 1)
    server.channel.emit('seq', 2)
    await expect.poll(() => page.evaluate(() => window.split.received)).toEqual([1, 2])
    const lazy = chunks.find((chunk) => chunk.isDynamicEntry)
    // The stream is asked for only once the connection's chunk has come.
    const at = (path: string) => server.requested.indexOf(path)
    expect(at(`/${lazy?.fileName}`)).toBeGreaterThan(-1)
    expect(at('/events')).toBeGreaterThan(at(`/${lazy?.fileName}`))
    expect(await page.evaluate(() => window.split)).toMatchObject({ errors: [], states: ['connecting', 'open'] })
  })

  it('retries a chunk that did not load as a lost connection (a network failure), then connects', async () => {
    const server = await serve(events, chunks, 2)
    const page = await open(server.origin)
    await expect.poll(() => server.channel.size, { timeout: 15_000 }).toBe(1)
    server.channel.emit('seq', 1)
    await expect.poll(() => page.evaluate(() => window.split.received)).toEqual([1])
    const { errors, states } = await page.evaluate(() => window.split)
    expect(states).toEqual(['connecting', 'reconnecting', 'open'])
    expect(errors).toHaveLength(2)
    for (const error of errors) {
      expect(error).toMatch(/^CONNECTION_LOST: \/events: could not load the connection's code: .+; retrying in \d+ ms$/)
    }
    const lazy = chunks.find((chunk) => chunk.isDynamicEntry)
    expect(server.requested.filter((path) => path === `/${lazy?.fileName}`)).toHaveLength(3)
  })

  it('keeps retrying while the chunk is gone (a page older than a deploy), asking for no stream', async () => {
    const server = await serve(events, chunks, Number.POSITIVE_INFINITY)
    const page = await open(server.origin)
    await expect.poll(() => page.evaluate(() => window.split.errors.length)).toBeGreaterThanOrEqual(1)
    const { errors, states } = await page.evaluate(() => window.split)
    expect(states).toEqual(['connecting', 'reconnecting'])
    expect(errors[0]).toMatch(/^CONNECTION_LOST: \/events: could not load the connection's code: /)
    expect(server.requested).not.toContain('/events')
    // Vite tells the app too, the event apps answer with a reload.
    expect(await page.evaluate(() => window.split.preloadErrors())).toBeGreaterThanOrEqual(1)
  })
})

describe('a Vite build of a page with a shared client', () => {
  it('a tab whose connection code does not load never holds the connection: another tab does', async () => {
    const server = await serve(sharedEvents, sharedChunks)
    if (browser === undefined) throw new Error('no browser')
    const context = await browser.newContext()
    jobs.add(() => context.close())
    const lazy = sharedChunks.find((chunk) => chunk.isDynamicEntry)
    // This tab, and only this one, never gets the connection's chunk.
    const broken = await context.newPage()
    jobs.add(() => broken.close())
    await broken.route(`**/${lazy?.fileName}`, (route) => route.fulfill({ status: 404 }))
    await broken.goto(`${server.origin}/?topic=room:1`)
    await expect.poll(() => broken.evaluate(() => window.shared.errors.length)).toBeGreaterThanOrEqual(1)
    const working = await open(`${server.origin}/?topic=room:1`, context)
    await expect.poll(() => server.channel.size, { timeout: 10_000 }).toBe(1)
    server.channel.to('room:1').emit('n', { seq: 1 })
    await expect.poll(() => working.evaluate(() => window.shared.received)).toEqual([1])
    expect(await working.evaluate(() => window.shared.leader())).toBe(true)
    expect(await broken.evaluate(() => window.shared.leader())).toBe(false)
    expect(await broken.evaluate(() => window.shared.state())).toBe('reconnecting')
  })
})
