import type { BrowserContext, CDPSession, Page } from 'playwright-core'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { openSharedBrowser, type SharedTestServer } from './test-shared-server.ts'
import { emitter, errors, leader, openTabs, ROOMS, received, sleep } from './test-shared-tabs.ts'

// A follower tab frozen for less than `leaderTimeoutMs` (its main thread paused by the debugger,
// see shared-client.freeze.browser.test.ts): Chromium drops the notes sent to it meanwhile, and no
// clock tells it it slept. The holder numbers its notes, so the next one shows the gap.
let server: SharedTestServer
let context: BrowserContext
let close = async () => {}

beforeAll(async () => {
  ;({ server, context, close } = await openSharedBrowser())
})
afterAll(() => close())

/** Polls until `page` holds `want` (a snapshot taken now), and says how long that took. */
async function caughtUp(page: Page, want: readonly number[]): Promise<number> {
  const from = performance.now()
  await expect
    .poll(async () => (await received(page)).slice(0, want.length), { timeout: 10_000, interval: 10 })
    .toEqual(want)
  return performance.now() - from
}

/** Pauses `page`'s main thread; it takes effect at its next task (here, a note from the holder). */
async function pause(page: Page): Promise<CDPSession> {
  const cdp = await page.context().newCDPSession(page)
  await cdp.send('Debugger.enable')
  await cdp.send('Debugger.pause')
  return cdp
}

it.each([
  { timeoutMs: 1500, pauseMs: 300 },
  { timeoutMs: undefined, pauseMs: 300 },
  { timeoutMs: undefined, pauseMs: 1000 },
])(
  'a follower frozen $pauseMs ms (leaderTimeoutMs $timeoutMs) while events flow catches up once, in order',
  async ({ timeoutMs, pauseMs }) => {
    const { pages, pageErrors } = await openTabs({ server, context }, timeoutMs)
    const before = server.requests.length
    const frozen = pages[3] as Page
    const { emit, expected } = emitter(server)

    let cdp: CDPSession | undefined
    let resumedAt = 0
    let catchUp: Promise<number> | undefined
    for (let seq = 1; seq <= 90; seq++) {
      emit(seq)
      if (seq === 20) {
        cdp = await pause(frozen)
        resumedAt = performance.now() + pauseMs
      }
      if (cdp !== undefined && catchUp === undefined && performance.now() >= resumedAt) {
        await cdp.send('Debugger.resume')
        catchUp = caughtUp(frozen, expected(ROOMS[3]))
      }
      await sleep(30)
    }
    console.log(
      `follower frozen ${pauseMs} ms (leaderTimeoutMs ${timeoutMs ?? 'default'}): had all it missed ${Math.round((await catchUp) ?? 0)} ms after resume, events flowing`,
    )
    for (const [index, page] of pages.entries()) {
      await expect.poll(() => received(page), { timeout: 10_000 }).toEqual(expected(ROOMS[index]))
    }
    await sleep(1000) // nothing more arrives late, twice
    for (const [index, page] of pages.entries()) {
      expect(await received(page)).toEqual(expected(ROOMS[index]))
      expect(await errors(page)).toEqual([])
    }
    expect(await Promise.all(pages.map(leader))).toEqual([true, false, false, false])
    expect(server.channel.size).toBe(1)
    expect(server.requests.length).toBe(before + 1)
    expect(pageErrors).toEqual([])
  },
  60_000,
)

it('a follower frozen 300 ms, with nothing sent after it wakes, catches up at the next beacon', async () => {
  const timeoutMs = 1500
  const { pages, pageErrors } = await openTabs({ server, context }, timeoutMs)
  const before = server.requests.length
  const frozen = pages[3] as Page
  const { emit, expected } = emitter(server)

  for (let seq = 1; seq <= 20; seq++) {
    emit(seq)
    await sleep(20)
  }
  const cdp = await pause(frozen)
  for (let seq = 21; seq <= 30; seq++) {
    emit(seq) // the first of these runs the pause
    await sleep(20)
  }
  await sleep(100)
  await cdp.send('Debugger.resume')
  const ms = await caughtUp(frozen, expected(ROOMS[3]))
  console.log(`follower frozen 300 ms, stream quiet after: had all it missed ${Math.round(ms)} ms after resume`)
  // The next note from the holder shows the gap: its beacon, every third of the timeout.
  expect(ms).toBeLessThan(timeoutMs / 3 + 1000)
  await sleep(1000)
  for (const [index, page] of pages.entries()) {
    expect(await received(page)).toEqual(expected(ROOMS[index]))
    expect(await errors(page)).toEqual([])
  }
  expect(await Promise.all(pages.map(leader))).toEqual([true, false, false, false])
  expect(server.requests.length).toBe(before + 1)
  expect(pageErrors).toEqual([])
}, 60_000)

it('a tab that subscribes while the holder is paused gets its topic at the next beacon', async () => {
  const timeoutMs = 1500
  const { pages, pageErrors } = await openTabs({ server, context }, timeoutMs)
  const [holder, subscriber] = pages as [Page, Page]
  const { emit, expected } = emitter(server)
  const room7: number[] = []
  const emit7 = () => {
    const seq = 1000 + room7.length
    server.channel.to('room:7').emit('n', { seq })
    room7.push(seq)
  }
  const of7 = async (page: Page) => (await received(page)).filter((seq) => seq >= 1000)

  for (let seq = 1; seq <= 10; seq++) {
    emit(seq)
    await sleep(20)
  }
  // Pause the holder (it takes effect at its next task: the next event), then subscribe: Chromium
  // drops the subscriber's `tab` note to the paused holder.
  const cdp = await holder.context().newCDPSession(holder)
  await cdp.send('Debugger.enable')
  const paused = new Promise((resolve) => cdp.once('Debugger.paused', resolve))
  await cdp.send('Debugger.pause')
  emit(11)
  await paused
  await subscriber.evaluate(() => window.shared.subscribe('room:7'))
  await sleep(300)
  await cdp.send('Debugger.resume')
  const from = performance.now()
  let ms = 0
  while (ms === 0 && performance.now() - from < timeoutMs / 3 + 2000) {
    emit7()
    await sleep(30)
    if ((await of7(subscriber)).length > 0) ms = performance.now() - from
  }
  expect(ms).toBeGreaterThan(0)
  console.log(`tab subscribed while the holder was paused: had its topic's events ${Math.round(ms)} ms after resume`)
  // The next beacon shows the holder's stream lacks the topic: the tab announces it again.
  expect(ms).toBeLessThan(timeoutMs / 3 + 1000)
  const since = room7.length
  for (let seq = 12; seq <= 20; seq++) {
    emit(seq)
    emit7()
    await sleep(20)
  }
  await sleep(1000) // nothing more arrives late, twice
  // Each event of room 7 once and in order, from some point on (the subscription took effect), to the last.
  const got = await of7(subscriber)
  expect(got).toEqual(room7.slice(room7.length - got.length))
  expect(got.length).toBeGreaterThanOrEqual(room7.length - since)
  for (const [index, page] of pages.entries()) {
    if (page !== subscriber) expect(await of7(page)).toEqual([])
    expect((await received(page)).filter((seq) => seq < 1000)).toEqual(expected(ROOMS[index]))
    expect(await errors(page)).toEqual([])
  }
  expect(await Promise.all(pages.map(leader))).toEqual([true, false, false, false])
  expect(server.channel.size).toBe(1)
  expect(pageErrors).toEqual([])
}, 60_000)

it('a tab that opens while the holder is paused is welcomed at the next beacon', async () => {
  const timeoutMs = 1500
  const { pages, pageErrors } = await openTabs({ server, context }, timeoutMs)
  const holder = pages[0] as Page
  const { emit } = emitter(server)
  const cdp = await holder.context().newCDPSession(holder)
  await cdp.send('Debugger.enable')
  const paused = new Promise((resolve) => cdp.once('Debugger.paused', resolve))
  await cdp.send('Debugger.pause')
  emit(1)
  await paused
  // A fifth tab, on a room the stream has already: its first `tab` note reaches nobody who
  // listens, and no topic is missing from the holder's beacon.
  const late = await holder.context().newPage()
  late.on('pageerror', (error) => pageErrors.push(String(error)))
  await late.goto(`${server.origin}/?topic=room:1&timeout=${timeoutMs}`)
  await late.waitForFunction(() => window.shared !== undefined)
  await sleep(300)
  expect(await late.evaluate(() => window.shared.state())).toBe('connecting')
  await cdp.send('Debugger.resume')
  const from = performance.now()
  await expect.poll(() => late.evaluate(() => window.shared.state()), { timeout: timeoutMs + 2000 }).toBe('open')
  console.log(
    `tab opened while the holder was paused: welcomed ${Math.round(performance.now() - from)} ms after resume`,
  )
  const live = [100, 101, 102, 103]
  for (const seq of live) {
    server.channel.to('room:1').emit('n', { seq })
    await sleep(20)
  }
  await expect.poll(() => received(late)).toEqual(live)
  expect(await leader(late)).toBe(false)
  expect(await errors(late)).toEqual([])
  expect(server.channel.size).toBe(1)
  expect(pageErrors).toEqual([])
}, 60_000)
