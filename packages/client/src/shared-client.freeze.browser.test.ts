import type { BrowserContext, CDPSession, Page } from 'playwright-core'
import { afterAll, beforeAll, expect, it, onTestFinished } from 'vitest'
import { openSharedBrowser, type SharedBrowser, type SharedTestServer } from './test-shared-server.ts'
import {
  errors,
  leader,
  emitter as numbered,
  openTabs as openFour,
  ROOMS,
  received,
  sleep,
} from './test-shared-tabs.ts'

// Four tabs of one origin in Debian's headless Chromium sharing one Herald stream; one tab freezes
// mid-stream (the one holding it, keeping its lock, which another steals; or another one), and
// catches up when it wakes. Headless Chromium 156 ignores CDP's
// `Page.setWebLifecycleState` `frozen` on a page (no `freeze` event, its timers keep running), so
// the test freezes the page's main thread with the debugger (`Debugger.pause`): no task of it runs
// (no timer, no message, no stream chunk) until `Debugger.resume`, as in a frozen or stuck tab.
/** The tabs' `leaderTimeoutMs`: they steal the lock after this long without a word from the leader. */
const TIMEOUT_MS = Number(process.env['HERALD_FREEZE_TIMEOUT_MS'] ?? 1500)
let server: SharedTestServer
let context: BrowserContext
let close = async () => {}

beforeAll(async () => {
  ;({ server, context, close } = await openSharedBrowser())
})
afterAll(() => close())

const openTabs = (on: Pick<SharedBrowser, 'server' | 'context'> = { server, context }) => openFour(on, TIMEOUT_MS)
const emitter = (to: SharedTestServer = server) => numbered(to)

/** Resumes a frozen tab, and measures how long it takes to hold every event of its rooms sent so far. */
async function wake(cdp: CDPSession, page: Page, want: readonly number[]): Promise<number> {
  const woke = performance.now()
  await cdp.send('Debugger.resume')
  await expect.poll(() => received(page), { timeout: 10_000, interval: 20 }).toEqual(want)
  return performance.now() - woke
}

it('a frozen leader is replaced within the bound; woken, it steps down and catches up once, in order', async () => {
  const { pages, pageErrors } = await openTabs()
  const before = server.requests.length
  const frozen = pages[0] as Page
  const others = pages.slice(1)
  const cdp = await frozen.context().newCDPSession(frozen)
  await cdp.send('Debugger.enable')
  const { emit, expected } = emitter()

  // Events keep coming while the leader is frozen; one of the others takes over.
  let frozenAt = 0
  let tookOverMs: number | undefined
  for (let seq = 1; seq <= 100; seq++) {
    emit(seq)
    if (seq === 20) {
      await cdp.send('Debugger.pause') // takes effect at its next task: a beacon within TIMEOUT_MS / 3
      frozenAt = performance.now()
    }
    if (frozenAt > 0 && tookOverMs === undefined && (await Promise.all(others.map(leader))).some(Boolean)) {
      tookOverMs = performance.now() - frozenAt
    }
    await sleep(40)
  }
  await expect.poll(() => Promise.all(others.map(leader)), { timeout: 10_000 }).toContain(true)
  tookOverMs ??= performance.now() - frozenAt
  console.log(`takeover after freeze: ${Math.round(tookOverMs)} ms (leaderTimeoutMs ${TIMEOUT_MS})`)
  // Silence noticed within the timeout and one beacon period, then the roll call; slack for a busy machine.
  expect(tookOverMs).toBeLessThan(TIMEOUT_MS + TIMEOUT_MS / 3 + 1500)
  for (const [index, page] of others.entries()) {
    await expect.poll(() => received(page), { timeout: 10_000 }).toEqual(expected(ROOMS[index + 1] ?? []))
  }
  expect((await Promise.all(others.map(leader))).filter(Boolean)).toHaveLength(1)
  expect(server.requests.length).toBe(before + 1) // the new leader's stream; the frozen one's is still open

  // The old leader wakes: it steps down, closes its stream, and tells the new leader where it
  // stands; the new leader's stream resumes from there (one request), and only it gets the replay.
  const seen = (await Promise.all(others.map(received))).map((list) => list.length)
  const caughtUpMs = await wake(cdp, frozen, expected(ROOMS[0] ?? []))
  console.log(`woken leader caught up: ${Math.round(caughtUpMs)} ms after resume`)
  await expect.poll(() => server.channel.size, { timeout: 5000 }).toBe(1)
  expect(await leader(frozen)).toBe(false)
  expect(server.requests.length).toBe(before + 2)
  for (let seq = 101; seq <= 120; seq++) {
    emit(seq)
    await sleep(10)
  }
  for (const [index, page] of pages.entries()) {
    await expect.poll(() => received(page), { timeout: 10_000 }).toEqual(expected(ROOMS[index] ?? []))
  }
  await sleep(TIMEOUT_MS) // nothing more arrives late, twice; no tab steals again
  for (const [index, page] of pages.entries()) {
    expect(await received(page)).toEqual(expected(ROOMS[index] ?? []))
    expect(await errors(page)).toEqual([])
  }
  for (const [index, page] of others.entries()) {
    expect((await received(page)).length).toBeGreaterThan(seen[index] ?? 0)
  }
  expect(server.channel.size).toBe(1)
  expect(server.requests.length).toBe(before + 2)
  expect((await Promise.all(pages.map(leader))).filter(Boolean)).toHaveLength(1)
  expect(pageErrors).toEqual([])
}, 60_000)

it('a frozen follower, woken, catches up once and in order; the leader reconnects once', async () => {
  const { pages, pageErrors } = await openTabs()
  const before = server.requests.length
  const frozen = pages[3] as Page
  const cdp = await frozen.context().newCDPSession(frozen)
  await cdp.send('Debugger.enable')
  const { emit, expected } = emitter()

  for (let seq = 1; seq <= 100; seq++) {
    emit(seq)
    if (seq === 20) await cdp.send('Debugger.pause') // takes effect at its next note from the leader
    await sleep(40)
  }
  // Frozen, it did not steal the lock; the leader kept its stream.
  for (const [index, page] of pages.slice(0, 3).entries()) {
    await expect.poll(() => received(page), { timeout: 10_000 }).toEqual(expected(ROOMS[index] ?? []))
  }
  expect(server.requests.length).toBe(before)

  const caughtUpMs = await wake(cdp, frozen, expected(ROOMS[3] ?? []))
  console.log(`woken follower caught up: ${Math.round(caughtUpMs)} ms after resume`)
  expect(server.requests.length).toBe(before + 1)
  for (let seq = 101; seq <= 120; seq++) {
    emit(seq)
    await sleep(10)
  }
  for (const [index, page] of pages.entries()) {
    await expect.poll(() => received(page), { timeout: 10_000 }).toEqual(expected(ROOMS[index] ?? []))
  }
  await sleep(TIMEOUT_MS) // nothing more arrives late, twice; the woken tab steals nothing
  for (const [index, page] of pages.entries()) {
    expect(await received(page)).toEqual(expected(ROOMS[index] ?? []))
    expect(await errors(page)).toEqual([])
  }
  expect(await Promise.all(pages.map(leader))).toEqual([true, false, false, false])
  expect(server.channel.size).toBe(1)
  expect(server.requests.length).toBe(before + 1)
  expect(pageErrors).toEqual([])
}, 60_000)

// With only broadcasts sent while it was frozen, more than the history holds, the replay is empty:
// the gap then carries the id where the stream joined, which the up-to-date tabs already hold.
it('a tab woken after the history moved on reports the gap; the other tabs do not, and lose nothing', async () => {
  const small = await openSharedBrowser({ historySize: 20 })
  onTestFinished(() => small.close())
  const { pages, pageErrors } = await openTabs(small)
  const before = small.server.requests.length
  const frozen = pages[3] as Page
  const cdp = await frozen.context().newCDPSession(frozen)
  await cdp.send('Debugger.enable')
  const { emit, expected } = emitter(small.server)

  for (let seq = 1; seq <= 100; seq++) {
    emit(seq, seq > 10)
    if (seq === 20) await cdp.send('Debugger.pause')
    await sleep(30)
  }
  // Woken, it asks for events from 20 or so back: the history holds the last 20 only.
  await cdp.send('Debugger.resume')
  await expect.poll(() => errors(frozen), { timeout: 10_000 }).toHaveLength(1)
  expect((await errors(frozen))[0]).toMatch(/^HISTORY_GAP: /)
  expect(small.server.requests.length).toBe(before + 1)
  for (let seq = 101; seq <= 120; seq++) {
    emit(seq)
    await sleep(10)
  }
  const live = expected(ROOMS[3] ?? []).filter((seq) => seq > 100)
  await expect.poll(async () => (await received(frozen)).slice(-live.length), { timeout: 10_000 }).toEqual(live)
  // It kept what it had before the freeze, missed the rest (reported), and repeats nothing.
  const early = (await received(frozen)).filter((seq) => seq <= 100)
  expect(early).toEqual(expected(ROOMS[3] ?? []).slice(0, early.length))
  expect(early.at(-1)).toBeLessThanOrEqual(21)
  expect(early.at(-1)).toBeGreaterThanOrEqual(10)
  expect(await received(frozen)).toEqual([...early, ...live])
  await sleep(500)
  for (const [index, page] of pages.slice(0, 3).entries()) {
    expect(await received(page)).toEqual(expected(ROOMS[index] ?? []))
    expect(await errors(page)).toEqual([])
  }
  expect(small.server.requests.length).toBe(before + 1)
  expect(pageErrors).toEqual([])
}, 60_000)
