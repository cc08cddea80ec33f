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

/**
 * Four tabs in a context of their own (their own locks and channels), live on one stream, with
 * `leaderTimeoutMs` set to `timeoutMs` (the default when undefined).
 */
export async function openTabs(on: Pick<SharedBrowser, 'server' | 'context'>, timeoutMs: number | undefined) {
  const { server } = on
  const own = await on.context.browser()?.newContext()
  if (own === undefined) throw new Error('no browser')
  onTestFinished(() => own.close())
  const pages: Page[] = []
  const pageErrors: string[] = []
  const timeout = timeoutMs === undefined ? '' : `&timeout=${timeoutMs}`
  for (const rooms of ROOMS) {
    const page = await own.newPage()
    page.on('pageerror', (error) => pageErrors.push(String(error)))
    await page.goto(`${server.origin}/?${rooms.map((room) => `topic=room:${room}`).join('&')}${timeout}`)
    await page.waitForFunction(() => window.shared !== undefined)
    pages.push(page)
  }
  for (const page of pages) await expect.poll(() => page.evaluate(() => window.shared.state())).toBe('open')
  expect(await Promise.all(pages.map(leader))).toEqual([true, false, false, false])
  expect(server.channel.size).toBe(1)
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
