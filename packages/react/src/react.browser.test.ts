import type { Browser, Page } from 'playwright-core'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { launchChromium } from '../../../scripts/chromium.mjs'
import { REACT_VERSIONS } from './test-react.ts'
import { startTestServer, type TestServer } from './test-server.ts'
import type { Widget } from './test-view.tsx'

// The hooks in real components, in Debian's headless Chromium, against Herald's real channel.
let browser: Browser
let page: Page
/** Uncaught errors and console errors of the page (React's included), but for the network's. */
let errors: string[] = []

beforeAll(async () => {
  browser = await launchChromium()
})

afterAll(async () => {
  await browser?.close()
})

describe.each(REACT_VERSIONS)('React %i', (react) => {
  let server: TestServer

  beforeAll(async () => {
    server = await startTestServer(react)
  })

  afterAll(async () => {
    await server?.close()
  })

  it('runs that React', async () => {
    await page.goto(server.origin)
    await page.waitForFunction(() => window.heraldTest !== undefined)
    expect(await page.evaluate(() => window.heraldTest.react)).toMatch(new RegExp(`^${react}\\.`))
  })

  beforeEach(async () => {
    errors = []
    page = await browser.newPage()
    page.on('pageerror', (error) => errors.push(String(error)))
    page.on('console', (message) => {
      // A cut stream logs `Failed to load resource: net::ERR_INCOMPLETE_CHUNKED_ENCODING`: expected.
      if (message.type() === 'error' && !message.text().startsWith('Failed to load resource'))
        errors.push(message.text())
    })
    server.requests.length = 0
  })

  afterEach(async () => {
    await page.close()
  })

  const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
  const text = (id: string) => () => page.locator(`#${id}`).textContent()
  const counts = () => page.evaluate(() => window.heraldTest.counts())

  async function start(widgets: Widget[], strict = false, path = '/') {
    await page.goto(`${server.origin}${path}`)
    await page.waitForFunction(() => window.heraldTest !== undefined)
    await page.evaluate(([widgets, strict]) => window.heraldTest.start({ strict, widgets }), [widgets, strict] as const)
  }
  const show = (widgets: Widget[]) => page.evaluate((widgets) => window.heraldTest.show(widgets), widgets)
  const unmount = () => page.evaluate(() => window.heraldTest.unmount())
  /** Waits until the channel has `size` streams, the page's own. */
  const streams = (size: number) => expect.poll(() => server.channel.size).toBe(size)

  it('useEvent shows the latest event', async () => {
    await start(['age', 'state'])
    await expect.poll(text('age')).toBe('none')
    await expect.poll(text('state')).toBe('open')
    await server.channel.emit('age', 1)
    await server.channel.emit('age', 2)
    await expect.poll(text('age')).toBe('2')
  })

  it('useEventListener calls the closure of the latest render, without adding a listener per render', async () => {
    await start(['listener', 'state'])
    await expect.poll(text('state')).toBe('open')
    await server.channel.emit('age', 5)
    await expect.poll(text('log')).toBe('a:5')
    const before = await counts()
    await page.evaluate(() => window.heraldTest.label('b'))
    await page.evaluate(() => window.heraldTest.label('c'))
    expect(await counts()).toEqual(before)
    await server.channel.emit('age', 6)
    await expect.poll(text('log')).toBe('a:5,c:6')
  })

  it('useConnectionState goes connecting, open, reconnecting on a cut, and open again', async () => {
    await start(['state'])
    await expect.poll(text('state')).toBe('open')
    const id = await server.channel.emit('age', 7)
    await expect.poll(text('last-id')).toBe(id)
    server.kill()
    await expect.poll(text('state')).toBe('reconnecting')
    expect(await text('error')()).toBe('CONNECTION_LOST')
    await expect.poll(text('state')).toBe('open')
    expect(await text('states')()).toBe('connecting,open,reconnecting,open')
    expect(errors).toEqual([])
  })

  it('in StrictMode: one connection, one listener per event, and none left after unmount', async () => {
    await start(['age', 'listener', 'state', 'direct'], true)
    await expect.poll(text('state')).toBe('open')
    await server.channel.emit('age', 8)
    await server.channel.emit('name', 'Ada')
    await expect.poll(text('log')).toBe('a:8') // once: the double mount left no second listener
    await expect.poll(text('name')).toBe('Ada')
    await wait(200)
    expect(server.requests).toEqual([[]]) // one stream request, without topics
    expect((await counts()).held).toBeGreaterThan(0)
    await unmount()
    expect(await counts()).toMatchObject({ held: 0 })
    await streams(1) // the hooks never close the app's client either
    expect(errors).toEqual([])
  })

  it('useTopic in StrictMode: two components on room:1 make one subscription, left by the last to unmount', async () => {
    await start(['state', 'age', 'room-a', 'room-b'], true)
    // The client connects without topics, then switches once to room:1: the double mount of two
    // components asked for no more.
    await expect.poll(() => server.requests).toEqual([[], ['room:1']])
    await expect.poll(text('state')).toBe('open')
    await server.channel.to('room:1').emit('age', 11)
    await expect.poll(text('age')).toBe('11')
    await show(['state', 'age', 'room-b'])
    await wait(300)
    expect(server.requests).toEqual([[], ['room:1']]) // still joined: no new request
    await show(['state', 'age'])
    await expect.poll(() => server.requests).toEqual([[], ['room:1'], []])
    await expect.poll(text('state')).toBe('open')
    await streams(1)
    await server.channel.to('room:1').emit('age', 12)
    await server.channel.emit('age', 13)
    await expect.poll(text('age')).toBe('13')
    expect(errors).toEqual([])
  })

  it('unmounting while the client reconnects throws nothing and leaves no listener', async () => {
    await start(['state', 'age', 'listener', 'room-a'])
    await expect.poll(() => server.requests).toEqual([[], ['room:1']])
    await expect.poll(text('state')).toBe('open')
    server.kill()
    await expect.poll(text('state')).toBe('reconnecting')
    await unmount()
    expect(await counts()).toMatchObject({ held: 0 })
    // The client, still the app's, comes back without the topic nobody holds any more.
    await expect.poll(() => server.requests.at(-1)).toEqual([])
    await streams(1)
    await wait(400)
    expect(await counts()).toMatchObject({ held: 0 })
    expect(errors).toEqual([])
  })

  it('hydrates a server render of the hooks without a mismatch, then goes live', async () => {
    await page.goto(`${server.origin}/ssr`)
    expect(await text('state')()).toBe('connecting') // rendered by the server, before any script
    expect(await text('age')()).toBe('none')
    await page.waitForFunction(() => window.heraldTest !== undefined)
    await page.evaluate(() =>
      window.heraldTest.start({ strict: true, widgets: ['age', 'state', 'direct', 'listener'], hydrate: true }),
    )
    await expect.poll(() => page.locator('main').getAttribute('data-hydrated')).toBe('true')
    await expect.poll(text('state')).toBe('open')
    await server.channel.emit('age', 21)
    await expect.poll(text('age')).toBe('21')
    expect(await page.evaluate(() => window.heraldTest.hydrationErrors)).toEqual([])
    expect(errors).toEqual([])
  })
})
