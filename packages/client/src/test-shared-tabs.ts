// Helpers of the shared-client browser tests that freeze a tab: four tabs of one origin live on one
// stream, numbered events in rooms, and what each tab holds.
import type { Page } from 'playwright-core'
import { expect, onTestFinished } from 'vitest'
import type { SharedBrowser, SharedTestServer } from './test-shared-server.ts'

/** The rooms of each tab: tab 0 is the first, which takes the connection; tabs 0 and 3 have both rooms. */
export const ROOMS: readonly (readonly number[])[] = [[1, 2], [1], [2], [1, 2]]

/** Waits `ms` milliseconds. */
export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
/** The `seq` of every event a tab received, in order. */
export const received = (page: Page) => page.evaluate(() => [...window.shared.received])
/** The errors a tab reported, as `CODE: message`. */
export const errors = (page: Page) => page.evaluate(() => [...window.shared.errors])
/** Whether a tab holds the connection. */
export const leader = (page: Page) => page.evaluate(() => window.shared.leader())

/** Which tabs `openTabs` opens. */
export interface TabsOptions {
  /** The rooms of each tab, one tab each. @default ROOMS (four tabs) */
  rooms?: readonly (readonly number[])[] | undefined
  /** More of each page's query (`ticket`: the page asks the server for a ticket). */
  query?: string | undefined
}

/**
 * Tabs in a context of their own (their own locks and channels), live on one stream, each with its
 * rooms' topics, with `leaderTimeoutMs` set to `timeoutMs` (the default when undefined). The
 * first holds the connection.
 */
export async function openTabs(
  on: Pick<SharedBrowser, 'server' | 'context'>,
  timeoutMs: number | undefined,
  options: TabsOptions = {},
) {
  const { server } = on
  const rooms = options.rooms ?? ROOMS
  const own = await on.context.browser()?.newContext()
  if (own === undefined) throw new Error('no browser')
  onTestFinished(() => own.close())
  const pages: Page[] = []
  const pageErrors: string[] = []
  for (const tab of rooms) {
    const page = await own.newPage()
    page.on('pageerror', (error) => pageErrors.push(String(error)))
    const query = [
      options.query,
      ...tab.map((room) => `topic=room:${room}`),
      timeoutMs === undefined ? undefined : `timeout=${timeoutMs}`,
    ]
    await page.goto(`${server.origin}/?${query.filter((part) => part !== undefined).join('&')}`)
    await page.waitForFunction(() => window.shared !== undefined)
    pages.push(page)
  }
  for (const page of pages) await expect.poll(() => page.evaluate(() => window.shared.state())).toBe('open')
  // Each tab's client sees the topics of its own, as the server's hello named them.
  for (const [index, page] of pages.entries()) {
    await expect
      .poll(() => page.evaluate(() => [...window.shared.topics()].sort()))
      .toEqual(rooms[index]?.map((room) => `room:${room}`))
  }
  expect(await Promise.all(pages.map(leader))).toEqual(pages.map((_, index) => index === 0))
  expect(server.channel.size).toBe(1) // one stream for every tab
  return { pages, pageErrors }
}

/** Numbered events, in room 1, 2 or 3 (nobody's), or to everyone; and the list a tab must receive. */
export function emitter(server: SharedTestServer) {
  const sent: { seq: number; room: number | undefined }[] = []
  const emit = (seq: number, toAll = false) => {
    const room = toAll || seq % 6 === 0 ? undefined : (seq % 3) + 1
    if (room === undefined) server.channel.emit('n', { seq })
    else server.channel.to(`room:${room}`).emit('n', { seq })
    sent.push({ seq, room })
  }
  const expected = (rooms: readonly number[] = []) =>
    sent.filter(({ room }) => room === undefined || rooms.includes(room)).map(({ seq }) => seq)
  return { emit, expected }
}
