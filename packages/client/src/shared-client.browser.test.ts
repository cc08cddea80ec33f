import type { BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { openSharedBrowser, type SharedTestServer } from './test-shared-server.ts'
import { openTabs, sleep } from './test-shared-tabs.ts'

// Eight tabs of one origin in Debian's headless Chromium, over HTTP/1.1 (past the browser's six
// connections per host), sharing one Herald stream; the tab holding it closes mid-stream.
let server: SharedTestServer
let context: BrowserContext
let close = async () => {}

beforeAll(async () => {
  ;({ server, context, close } = await openSharedBrowser())
})
afterAll(() => close())

/** The rooms of each tab: tab 0 (the first, which takes the connection) has two, room 5 is nobody's. */
const ROOMS = [[1, 2], [1], [2], [3], [4], [1, 3], [2, 4], [4]]
const received = (page: Page) => page.evaluate(() => [...window.shared.received])

it('eight tabs share one stream; when its tab closes, the others lose and repeat nothing', async () => {
  const { pages, pageErrors } = await openTabs({ server, context }, undefined, { rooms: ROOMS })
  const before = server.requests.length

  // A sequence over rooms 1 to 5 and broadcasts; the leader tab closes halfway through.
  const sent: { seq: number; room: number | undefined }[] = []
  const ids: string[] = []
  const emit = (seq: number) => {
    const room = seq % 6 === 0 ? undefined : (seq % 5) + 1
    ids.push(
      room === undefined ? server.channel.emit('n', { seq }) : server.channel.to(`room:${room}`).emit('n', { seq }),
    )
    sent.push({ seq, room })
  }
  let closing: Promise<void> | undefined
  for (let seq = 1; seq <= 80; seq++) {
    emit(seq)
    if (seq === 40) closing = pages[0]?.close()
    await sleep(seq > 40 && seq < 60 ? 20 : 3)
  }
  await closing
  const expected = (rooms: readonly number[]) =>
    sent.filter(({ room }) => room === undefined || rooms.includes(room)).map(({ seq }) => seq)
  for (const [index, page] of pages.entries()) {
    if (index === 0) continue
    const want = expected(ROOMS[index] ?? [])
    await expect.poll(() => received(page), { timeout: 10_000 }).toEqual(want)
  }
  // Another tab took the connection over: one stream again, one request more.
  await expect.poll(() => server.channel.size).toBe(1)
  expect(server.requests.length).toBe(before + 1)
  const leaders = await Promise.all(pages.slice(1).map((page) => page.evaluate(() => window.shared.leader())))
  expect(leaders.filter(Boolean)).toHaveLength(1)
  await sleep(200) // nothing more arrives late, twice
  for (const [index, page] of pages.entries()) {
    if (index > 0) expect(await received(page)).toEqual(expected(ROOMS[index] ?? []))
  }

  // A ninth tab that resumes from an older id (seq 50) joins; the leader closes before any new
  // event. The next leader resumes from the oldest position, seq 50: the ninth tab gets what it
  // missed, and the other tabs drop the replayed events they had.
  const late = await (pages[1] as Page).context().newPage() // the tabs' own context: their locks
  late.on('pageerror', (error) => pageErrors.push(String(error)))
  await late.goto(`${server.origin}/?topic=room:1&topic=room:4&last=${encodeURIComponent(ids[49] ?? '')}`)
  await late.waitForFunction(() => window.shared !== undefined)
  await expect.poll(() => late.evaluate(() => window.shared.state())).toBe('open')
  const leader = pages.findIndex((_page, index) => index > 0 && leaders[index - 1])
  await pages[leader]?.close()
  for (let seq = 81; seq <= 90; seq++) emit(seq)
  const remaining = pages.filter((_, index) => index > 0 && index !== leader)
  for (const [index, page] of pages.entries()) {
    if (index === 0 || index === leader) continue
    await expect.poll(() => received(page), { timeout: 10_000 }).toEqual(expected(ROOMS[index] ?? []))
  }
  await expect.poll(() => received(late), { timeout: 10_000 }).toEqual(expected([1, 4]).filter((seq) => seq > 50))
  await sleep(200)
  for (const [index, page] of pages.entries()) {
    if (index > 0 && index !== leader) expect(await received(page)).toEqual(expected(ROOMS[index] ?? []))
  }
  expect(remaining).toHaveLength(6)
  expect(server.channel.size).toBe(1)
  expect(pageErrors).toEqual([])
}, 40_000)
