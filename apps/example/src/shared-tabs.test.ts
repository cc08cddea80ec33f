import { existsSync } from 'node:fs'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { launchChromium } from '../../../scripts/chromium.mjs'
import { ROOMS, type Room } from './events.ts'
import { type ExampleServer, startServer } from './server.ts'

// Eight tabs of the example page in one browser context of Debian's headless Chromium, signed in
// as alice, each in its own rooms, over HTTP/1.1 (past the browser's six connections per host):
// all live on one stream, whose tab closes mid-stream. Pages that share must come from one
// context: each context has its own cookies, Web Locks and BroadcastChannels.

let browser: Browser
let context: BrowserContext
let server: ExampleServer
/** The stream requests the server got. */
let streamRequests = 0
/** Errors thrown in the pages, and answers of 400 or more they got. */
const problems: string[] = []

/** The rooms of tab `index`: each of the eight subsets of the three rooms; tab 0 has all, tab 7 none. */
const roomsOf = (index: number): readonly Room[] => ROOMS.filter((_, bit) => ((7 - index) >> bit) & 1)
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

beforeAll(async () => {
  if (!existsSync(new URL('../public/app.js', import.meta.url))) {
    throw new Error('apps/example/public/app.js is missing: run `npm run build` first (npm test does)')
  }
  server = await startServer({ port: 0, tickMs: 150, retryMs: 300, botEveryTicks: 0 })
  server.http.on('request', (request) => {
    if (request.url?.startsWith('/events')) streamRequests++
  })
  browser = await launchChromium()
  context = await browser.newContext()
})

afterAll(async () => {
  await context?.close()
  await browser?.close()
  await server?.close()
})

/** Opens a tab of the example in the shared context. */
async function openTab(): Promise<Page> {
  const page = await context.newPage()
  page.on('pageerror', (error) => problems.push(`page error: ${error}`))
  page.on('response', (response) => {
    if (response.status() >= 400) problems.push(`${response.status()} ${response.url()}`)
  })
  await page.goto(server.url)
  return page
}

/** The texts of the messages a tab shows in `room`, in order. */
const messages = (page: Page, room: Room) =>
  page.locator(`#room-${room} .messages li`).evaluateAll((lines) => lines.map((li) => li.dataset['text']))
const leaderOf = (pages: readonly Page[]) =>
  Promise.all(pages.map((page) => page.locator('#state').getAttribute('data-leader')))

it('eight tabs of one user share one stream; when its tab closes, the others lose and repeat nothing', async () => {
  // Tab 0 signs in (the server sets its cookie for the whole context), then seven more open.
  const first = await openTab()
  await first.click('#login-alice')
  await first.waitForSelector('#user[data-user="alice"]')
  const pages = [first]
  for (let index = 1; index < 8; index++) pages.push(await openTab())
  for (const page of pages) await page.waitForSelector('#user[data-user="alice"]')

  // Each tab leaves the rooms that are not its own, through the page's Leave buttons.
  for (const [index, page] of pages.entries()) {
    for (const room of ROOMS) if (!roomsOf(index).includes(room)) await page.click(`#room-${room} .leave`)
  }
  for (const [index, page] of pages.entries()) {
    for (const room of ROOMS) {
      const status = roomsOf(index).includes(room) ? 'joined' : 'left'
      await expect.poll(() => page.locator(`#room-${room}`).getAttribute('data-status'), { timeout: 5000 }).toBe(status)
    }
    await expect.poll(() => page.locator('#state').textContent()).toBe('open')
    // The tab's client sees the topics of its own, as the server's hello named them, and alice's feed.
    expect((await page.locator('#chat').getAttribute('data-topics'))?.split(' ').sort()).toEqual(
      [...roomsOf(index).map((room) => `room:${room}`), 'user:alice'].sort(),
    )
  }
  // One stream for the eight tabs, held by the first.
  expect(server.channel.size).toBe(1)
  await expect.poll(() => leaderOf(pages)).toEqual(['true', ...Array(7).fill('false')])

  // Messages posted to each room in turn (as the server's API does), then again while tab 0 closes.
  const sent: { room: Room; text: string }[] = []
  const say = (seq: number) => {
    const room = ROOMS[seq % ROOMS.length] as Room
    const text = `message ${seq}`
    server.channel.to(`room:${room}`).emit('message', { room, from: 'test', text, at: new Date() })
    sent.push({ room, text })
  }
  const expected = (index: number, room: Room) =>
    roomsOf(index).includes(room) ? sent.filter((each) => each.room === room).map((each) => each.text) : []
  const everyTabHasAll = async (tabs: readonly number[]) => {
    for (const index of tabs) {
      for (const room of ROOMS) {
        const page = pages[index] as Page
        await expect.poll(() => messages(page, room), { timeout: 10_000 }).toEqual(expected(index, room))
      }
    }
  }
  for (let seq = 1; seq <= 12; seq++) say(seq)
  await everyTabHasAll([0, 1, 2, 3, 4, 5, 6, 7])

  const before = streamRequests
  let closing: Promise<void> | undefined
  for (let seq = 13; seq <= 45; seq++) {
    say(seq)
    if (seq === 25) closing = first.close()
    await sleep(20)
  }
  await closing
  const remaining = [1, 2, 3, 4, 5, 6, 7]
  await everyTabHasAll(remaining)
  // Another tab took the stream over: one stream again, from one request more.
  await expect.poll(() => server.channel.size).toBe(1)
  expect(streamRequests).toBe(before + 1)
  const tabs = pages.slice(1)
  await expect.poll(async () => (await leaderOf(tabs)).filter((leader) => leader === 'true')).toHaveLength(1)
  await sleep(300) // nothing more arrives late, twice
  await everyTabHasAll(remaining)
  for (const page of tabs) expect(await page.locator('#errors').textContent()).toBe('')
  expect(problems).toEqual([])
}, 60_000)
