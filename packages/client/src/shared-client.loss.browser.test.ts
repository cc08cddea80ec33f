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
