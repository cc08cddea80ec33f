import type { BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { openSharedBrowser, type SharedTestServer } from './test-shared-server.ts'
import { openTabs, sleep } from './test-shared-tabs.ts'

// Four tabs of one origin in Debian's headless Chromium sharing one Herald stream that requires
// tickets: the holder's ticket function fetches one from `POST /tickets?topic=…` for the union of
// the tabs' topics. With a ticket, the holder's own client closes its EventSource on every drop to
// reconnect with a fresh one; that is no end of the stream for the tabs, which must reconnect too.
let server: SharedTestServer
let context: BrowserContext
let close = async () => {}

beforeAll(async () => {
  ;({ server, context, close } = await openSharedBrowser({ tickets: true }))
})
afterAll(() => close())

/** The rooms of each tab: tab 0 (the first, which takes the connection) has one; room 5 is nobody's yet. */
const ROOMS: readonly (readonly number[])[] = [[1], [2], [3], [2, 4]]
const UNION = ['room:1', 'room:2', 'room:3', 'room:4']
const received = (page: Page) => page.evaluate(() => [...window.shared.received])
const errors = (page: Page) => page.evaluate(() => [...window.shared.errors])
const states = (page: Page) => page.evaluate(() => [...window.shared.states])
const sorted = (topics: readonly string[] | undefined) => [...(topics ?? [])].sort()

it('tabs on a ticketed stream: the ticket names the union, and drops and a new room lose nothing', async () => {
  const { pages, pageErrors } = await openTabs({ server, context }, undefined, { rooms: ROOMS, query: 'ticket' })
  // Only the holder's ticket function ran, and the stream open now asked for the union, with a ticket naming it.
  await expect.poll(() => sorted(server.requests.at(-1))).toEqual(UNION)
  expect(sorted(server.tickets.at(-1))).toEqual(UNION)
  expect(sorted((await pages[0]?.evaluate(() => window.shared.tickets))?.at(-1))).toEqual(UNION)
  for (const page of pages.slice(1)) expect(await page.evaluate(() => window.shared.tickets)).toEqual([])
  const ticketsBefore = server.tickets.length
  const requestsBefore = server.requests.length

  // A sequence over rooms 1 to 5 and broadcasts; the server drops the stream three times meanwhile.
  const sent: { seq: number; room: number | undefined }[] = []
  const emit = (seq: number) => {
    const room = seq % 6 === 0 ? undefined : (seq % 5) + 1
    if (room === undefined) server.channel.emit('n', { seq })
    else server.channel.to(`room:${room}`).emit('n', { seq })
    sent.push({ seq, room })
  }
  const expected = (rooms: readonly number[] = []) =>
    sent.filter(({ room }) => room === undefined || rooms.includes(room)).map(({ seq }) => seq)
  const KILLS = [20, 60, 100]
  const stateOf = (page: Page) => page.evaluate(() => window.shared.state())
  /** How long after each drop every tab was open again on a new stream, in ms. */
  const backMs: Promise<number>[] = []
  const back = async (from: number, requests: number) => {
    while (
      server.requests.length === requests ||
      server.channel.size !== 1 ||
      (await Promise.all(pages.map(stateOf))).some((state) => state !== 'open')
    ) {
      await sleep(10)
    }
    return performance.now() - from
  }
  for (let seq = 1; seq <= 130; seq++) {
    if (KILLS.includes(seq)) {
      // Every tab is open again (never closed) on a new stream before each drop.
      for (const page of pages) await expect.poll(() => stateOf(page), { timeout: 5000 }).toBe('open')
      await expect.poll(() => server.channel.size, { timeout: 5000 }).toBe(1)
      expect(server.kill()).toBe(1)
      backMs.push(back(performance.now(), server.requests.length))
    }
    emit(seq)
    await sleep(10)
  }
  for (const [index, page] of pages.entries()) {
    await expect.poll(() => received(page), { timeout: 10_000 }).toEqual(expected(ROOMS[index]))
  }
  for (const page of pages) await expect.poll(() => stateOf(page)).toBe('open')
  console.log(
    `ticketed shared stream dropped ${KILLS.length} times: every tab open again after ${(await Promise.all(backMs)).map(Math.round).join(', ')} ms`,
  )
  await sleep(300) // nothing more arrives late, twice
  for (const [index, page] of pages.entries()) {
    expect(await received(page)).toEqual(expected(ROOMS[index]))
    // Each drop: reconnecting, then open again; never closed.
    const went = await states(page)
    expect(went).not.toContain('closed')
    expect(went.filter((state) => state === 'reconnecting').length).toBeGreaterThanOrEqual(KILLS.length)
    const codes = (await errors(page)).map((error) => error.split(':')[0])
    expect(codes).not.toContain('CONNECTION_FAILED')
    expect(codes).not.toContain('TOPIC_REFUSED')
  }
  // One fresh ticket per reconnection, each naming the union; the holder kept the connection.
  expect(server.tickets.length).toBe(ticketsBefore + KILLS.length)
  expect(server.requests.length).toBe(requestsBefore + KILLS.length)
  for (const topics of server.tickets.slice(ticketsBefore)) expect(sorted(topics)).toEqual(UNION)
  expect(await pages[0]?.evaluate(() => window.shared.leader())).toBe(true)
  expect(server.channel.size).toBe(1)

  // A tab subscribes to room 5: the next ticket names it, and its events reach that tab only.
  const subscriber = pages[1] as Page
  await subscriber.evaluate(() => window.shared.subscribe('room:5'))
  await expect.poll(() => sorted(server.tickets.at(-1))).toEqual([...UNION, 'room:5'])
  await expect.poll(() => sorted(server.requests.at(-1))).toEqual([...UNION, 'room:5'])
  await expect.poll(() => subscriber.evaluate(() => [...window.shared.topics()].sort())).toEqual(['room:2', 'room:5'])
  const room5: number[] = []
  for (let seq = 1000; seq < 1010; seq++) {
    server.channel.to('room:5').emit('n', { seq })
    room5.push(seq)
    await sleep(10)
  }
  const of5 = async (page: Page) => (await received(page)).filter((seq) => seq >= 1000)
  await expect.poll(() => of5(subscriber), { timeout: 10_000 }).toEqual(room5)
  await sleep(300)
  for (const [index, page] of pages.entries()) {
    if (page !== subscriber) expect(await of5(page)).toEqual([])
    expect((await received(page)).filter((seq) => seq < 1000)).toEqual(expected(ROOMS[index]))
    const codes = (await errors(page)).map((error) => error.split(':')[0])
    expect(codes).not.toContain('TOPIC_REFUSED')
    expect(codes).not.toContain('CONNECTION_FAILED')
    expect(await states(page)).not.toContain('closed')
  }
  expect(server.channel.size).toBe(1)
  expect(pageErrors).toEqual([])
}, 60_000)
