import { existsSync } from 'node:fs'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { launchChromium } from '../../../scripts/chromium.mjs'
import { type ExampleServer, startServer } from './server.ts'

// The example page in Debian's headless Chromium (installed by the test command's setup step).
let browser: Browser
let server: ExampleServer
let page: Page
/** Every answer of 400 or more the page got, e.g. a missing favicon. */
const failed: string[] = []

beforeAll(async () => {
  if (!existsSync(new URL('../public/app.js', import.meta.url))) {
    throw new Error('apps/example/public/app.js is missing: run `npm run build` first (npm test does)')
  }
  server = await startServer({ port: 0, tickMs: 150 })
  browser = await launchChromium()
  page = await browser.newPage()
  page.on('response', (response) => {
    if (response.status() >= 400) failed.push(`${response.status()} ${response.url()}`)
  })
  await page.goto(server.url)
})

afterAll(async () => {
  await browser?.close()
  await server?.close()
})

const state = () => page.locator('#state').textContent()

it('renders the typed events and the connection state', async () => {
  await expect.poll(state).toBe('open')
  await expect.poll(() => page.locator('#time').getAttribute('data-iso')).toMatch(/^\d{4}-\d\d-\d\dT/)
  const iso = (await page.locator('#time').getAttribute('data-iso')) ?? ''
  expect(Math.abs(Date.parse(iso) - Date.now())).toBeLessThan(5000)
  await expect.poll(() => page.locator('#name').textContent(), { timeout: 5000 }).toMatch(/^(Alice|Bob|Chen)$/)
  await expect.poll(() => page.locator('#age').textContent(), { timeout: 5000 }).toMatch(/^\d+ years$/)
  expect(await page.locator('#errors').textContent()).toBe('')
  await page.screenshot({ path: `${process.env['TMPDIR'] ?? '/tmp'}/herald-example.png` })
})

it('stop closes the stream on the server too, start opens it again', async () => {
  await expect.poll(() => server.channel.size).toBe(1)
  await page.click('#stop')
  await expect.poll(state).toBe('closed')
  await expect.poll(() => server.channel.size).toBe(0)
  const frozen = await page.locator('#time').getAttribute('data-iso')
  await new Promise((resolve) => setTimeout(resolve, 400))
  expect(await page.locator('#time').getAttribute('data-iso')).toBe(frozen)
  await page.click('#start')
  await expect.poll(state).toBe('open')
  await expect.poll(() => server.channel.size).toBe(1)
  await expect.poll(() => page.locator('#time').getAttribute('data-iso')).not.toBe(frozen)
})

it('shows a dropped connection while it reconnects, and clears it once the stream is open again', async () => {
  await expect.poll(state).toBe('open')
  server.http.closeAllConnections() // every socket cut, as a network drop would
  await expect.poll(state).toBe('reconnecting')
  expect(await page.locator('#errors').textContent()).toMatch(/^CONNECTION_LOST: /)
  await expect.poll(state, { timeout: 5000 }).toBe('open') // after the server's retry of 1 s
  expect(await page.locator('#errors').textContent()).toBe('')
})

it("serves a plain browser EventSource: Herald's stream is standard SSE", async () => {
  const received = await page.evaluate(
    () =>
      new Promise<{ data: string; lastEventId: string; native: boolean }>((resolve) => {
        const source = new EventSource('/events')
        source.addEventListener('time', (event) => {
          source.close()
          resolve({
            data: event.data,
            lastEventId: event.lastEventId,
            native: String(EventSource).includes('[native code]'),
          })
        })
      }),
  )
  expect(received.native).toBe(true)
  expect(new Date(JSON.parse(received.data)).getTime()).toBeGreaterThan(Date.now() - 5000)
  expect(received.lastEventId).toMatch(/^[A-Za-z0-9]+-\d+-\d+$/)
})

it('says what it demonstrates and what Start and Stop do', async () => {
  const about = (await page.locator('#about').textContent()) ?? ''
  expect(about).toMatch(/time[\s\S]*name[\s\S]*age/)
  // The page's tabs share one connection (`?tabs=own`: one each, for comparison).
  expect(about).toMatch(/tabs you open of this page share one connection \(createSharedClient\)/)
  expect(await page.locator('#tabs').getAttribute('data-mode')).toBe('shared')
  const hint = (await page.locator('.hint').textContent()) ?? ''
  expect(hint).toMatch(/Start[\s\S]*opens the stream \(createSharedClient\)/)
  expect(hint).toMatch(/Stop[\s\S]*closes it/)
})

it('loads without a failed request, and /favicon.ico is no 404', async () => {
  expect(failed).toEqual([])
  expect(await page.locator('link[rel="icon"]').getAttribute('href')).toMatch(/^data:image\/svg\+xml,/)
  expect((await fetch(`${server.url}/favicon.ico`)).status).toBe(204)
})

it('serves a minified bundle, and the source map it links to', async () => {
  const script = await (await fetch(`${server.url}/app.js`)).text()
  // Minified, not merely small: 937 KB and 22,700 lines unminified (React's production build
  // included), about 352 KB minified: react-dom ~210 KB, zod ~90 KB, Herald's packages ~30 KB,
  // the page ~11 KB. (Before the page moved to React: 241 KB unminified, 121 KB minified, limit 130,000.)
  expect(script.length).toBeLessThan(400_000)
  // Minified, what is left is the ~55 lines of zod's z.object code generator and a few of React's
  // (multi-line template strings, which minifying cannot join); the license comments go to
  // app.js.LEGAL.txt, which app.js links.
  expect(script.split('\n').length).toBeLessThan(100)
  const link = /\/\/# sourceMappingURL=(\S+)\s*$/.exec(script)?.[1]
  if (link === undefined) return // no map linked, none needed
  const map = await fetch(new URL(link, `${server.url}/app.js`))
  expect(map.status).toBe(200)
  expect((await map.json()) as { version: number }).toMatchObject({ version: 3 })
})
