import { existsSync } from 'node:fs'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { launchChromium } from '../../../scripts/chromium.mjs'
import type { Room, User } from './events.ts'
import { type ExampleServer, startServer } from './server.ts'

// The chat in Debian's headless Chromium: alice and bob side by side, each in a browser context
// of their own (their own cookies), against the real example server. The tests run in order and
// share the two pages, as two people keep their tabs open.

// The same secret across the restart below keeps both users signed in.
const secret = 'chat-test-secret-chat-test-secret-0123456789'
let browser: Browser
let server: ExampleServer
const contexts: BrowserContext[] = []
const pages = {} as Record<User, Page>
/** Every answer of 400 or more the pages got, but those a test provokes. */
const failed: string[] = []

const start = (port: number) =>
  startServer({ port, tickMs: 150, retryMs: 300, historySize: 20, secret, botEveryTicks: 0 })

beforeAll(async () => {
  if (!existsSync(new URL('../public/app.js', import.meta.url))) {
    throw new Error('apps/example/public/app.js is missing: run `npm run build` first (npm test does)')
  }
  server = await start(0)
  browser = await launchChromium()
  await Promise.all(
    (['alice', 'bob'] as const).map(async (user) => {
      const context = await browser.newContext()
      contexts.push(context)
      const page = await context.newPage()
      page.on('response', (response) => {
        const expected = response.status() === 403 && response.url().endsWith('/say')
        if (response.status() >= 400 && !expected) failed.push(`${user}: ${response.status()} ${response.url()}`)
      })
      await page.goto(server.url)
      await page.click(`#login-${user}`) // POST /login?as=…: the server sets its signed cookie
      await page.waitForSelector(`#user[data-user="${user}"]`)
      pages[user] = page
    }),
  )
})

afterAll(async () => {
  for (const context of contexts) await context.close()
  await browser?.close()
  await server?.close()
})

const status = (user: User, room: Room) => pages[user].locator(`#room-${room}`).getAttribute('data-status')
/** The texts of the messages `user`'s page shows in `room`. */
const messages = (user: User, room: Room) =>
  pages[user].locator(`#room-${room} .messages li`).evaluateAll((lines) => lines.map((li) => li.dataset['text']))
const notices = (user: User) =>
  pages[user]
    .locator('#notices li')
    .evaluateAll((lines) => lines.map((li) => `${li.dataset['from']}: ${li.dataset['text']}`))
/** Emits a message into `room` from the server. */
const say = (room: Room, text: string) =>
  server.channel.to(`room:${room}`).emit('message', { room, from: 'test', text, at: new Date() })

it('joins each user to their rooms and their own notices; bob is refused the secret room', async () => {
  for (const room of ['lobby', 'dev', 'secret'] as const) await expect.poll(() => status('alice', room)).toBe('joined')
  await expect.poll(() => status('bob', 'lobby')).toBe('joined')
  await expect.poll(() => status('bob', 'dev')).toBe('joined')
  await expect.poll(() => status('bob', 'secret')).toBe('refused')
  expect(await pages.bob.locator('#room-secret .status').textContent()).toBe('refused: not allowed for you')
  // What each stream joined, as the server's hello said: the server's user topic, the rooms allowed.
  expect((await pages.alice.locator('#chat').getAttribute('data-topics'))?.split(' ').sort()).toEqual([
    'room:dev',
    'room:lobby',
    'room:secret',
    'user:alice',
  ])
  expect((await pages.bob.locator('#chat').getAttribute('data-topics'))?.split(' ').sort()).toEqual([
    'room:dev',
    'room:lobby',
    'user:bob',
  ])
  expect(await pages.bob.locator('#errors').textContent()).toBe('') // a refused topic is no stream error
  // One connection per page, whatever its topics: each user's page is the only tab of its context.
  expect(server.channel.size).toBe(2)
})

it('each page receives only what its user may read', async () => {
  say('secret', 'for alice only')
  server.channel.to('user:alice').emit('notice', { from: 'test', text: 'alice only' })
  server.channel.to('user:bob').emit('notice', { from: 'test', text: 'bob only' })
  say('lobby', 'for everyone')
  // Bob's stream has the lobby message after what came before it: anything of those for him is in.
  await expect.poll(() => messages('bob', 'lobby')).toEqual(['for everyone'])
  await expect.poll(() => notices('bob')).toEqual(['test: bob only'])
  expect(await messages('bob', 'secret')).toEqual([])
  await expect.poll(() => messages('alice', 'secret')).toEqual(['for alice only'])
  await expect.poll(() => messages('alice', 'lobby')).toEqual(['for everyone'])
  await expect.poll(() => notices('alice')).toEqual(['test: alice only'])
})

it('posts through the page as the signed-in user, and nudges the other one', async () => {
  await pages.alice.selectOption('#say-room', 'dev')
  await pages.alice.fill('#say-text', 'hi from alice')
  await pages.alice.click('#say-send')
  await expect.poll(() => messages('bob', 'dev')).toEqual(['hi from alice'])
  expect(await pages.bob.locator('#room-dev li').last().getAttribute('data-from')).toBe('alice')
  // Bob may not post where he may not read.
  await pages.bob.selectOption('#say-room', 'secret')
  await pages.bob.fill('#say-text', 'let me in')
  await pages.bob.click('#say-send')
  await expect.poll(() => pages.bob.locator('#say-result').textContent()).toBe('403: bob may not post in secret')
  await pages.bob.click('#nudge')
  await expect.poll(() => notices('alice')).toEqual(['test: alice only', 'bob: bob nudged you'])
  expect(await messages('alice', 'secret')).toEqual(['for alice only'])
  expect(await notices('bob')).toEqual(['test: bob only'])
})

it('leaves and joins a room live: nothing of it while out, its messages again once back', async () => {
  await pages.bob.click('#room-dev .leave')
  await expect.poll(() => status('bob', 'dev')).toBe('left')
  expect(await pages.bob.locator('#chat').getAttribute('data-topics')).not.toContain('room:dev')
  say('dev', 'while bob is out')
  say('lobby', 'marker 1')
  await expect.poll(() => messages('bob', 'lobby')).toEqual(['for everyone', 'marker 1'])
  await expect.poll(() => messages('alice', 'dev')).toEqual(['hi from alice', 'while bob is out'])
  expect(await messages('bob', 'dev')).toEqual(['hi from alice'])

  await pages.bob.click('#room-dev .join')
  await expect.poll(() => status('bob', 'dev')).toBe('joined')
  say('dev', 'bob is back')
  await expect.poll(() => messages('bob', 'dev')).toEqual(['hi from alice', 'bob is back'])
  // Bob's lobby lost nothing and got nothing twice across the two switches.
  say('lobby', 'marker 2')
  await expect.poll(() => messages('bob', 'lobby')).toEqual(['for everyone', 'marker 1', 'marker 2'])
  await expect.poll(() => server.channel.size).toBe(2) // each switch replaced the connection
  expect(await pages.bob.locator('#errors').textContent()).toBe('')
})

it("resumes after a drop: the quiet room's messages replayed, a gap noted for the busy one's", async () => {
  server.http.closeAllConnections() // every socket cut, as a network drop would
  // While the pages are away: one lobby message, then 25 in dev; the channel keeps 20 per topic.
  say('lobby', 'while away')
  for (let index = 1; index <= 25; index++) say('dev', `burst ${index}`)
  for (const user of ['alice', 'bob'] as const) {
    // The client reconnects after its backoff (300 ms doubled, jittered: 0.7 to 1.1 s measured, with
    // either client), past the poll's default second.
    await expect
      .poll(() => pages[user].locator('#room-dev .gap').getAttribute('data-count'), { timeout: 5000 })
      .toBe('1')
    expect(await pages[user].locator('#room-dev .gap').textContent()).toMatch(/messages of this room were lost here/)
    // Past a gap nothing of that topic is replayed (the page would refetch it); the lobby resumes whole.
    await expect.poll(async () => (await messages(user, 'lobby')).at(-1)).toBe('while away')
    expect((await messages(user, 'dev')).at(-1)).toBe('bob is back')
    expect(await pages[user].locator('#room-lobby .gap').isHidden()).toBe(true)
    expect(await pages[user].locator('#gap').isHidden()).toBe(true) // nor did the stream as a whole lose any
  }
  say('dev', 'after the gap')
  for (const user of ['alice', 'bob'] as const) {
    await expect.poll(async () => (await messages(user, 'dev')).slice(-2)).toEqual(['bob is back', 'after the gap'])
  }
})

it('survives a server restart on the same port, and shows the gap where history was lost', async () => {
  const port = Number(new URL(server.url).port)
  for (const user of ['alice', 'bob'] as const) expect(await pages[user].locator('#gap').isHidden()).toBe(true)
  await server.close()
  server = await start(port) // a new channel: a new epoch, with none of the old history
  for (const user of ['alice', 'bob'] as const) {
    await expect.poll(() => pages[user].locator('#gap').getAttribute('data-count'), { timeout: 10_000 }).toBe('1')
    expect(await pages[user].locator('#gap').textContent()).toMatch(/no longer holds what was sent/)
    await expect.poll(() => pages[user].locator('#state').textContent()).toBe('open')
  }
  await expect.poll(() => status('alice', 'secret')).toBe('joined')
  await expect.poll(() => status('bob', 'dev')).toBe('joined')
  expect(await status('bob', 'secret')).toBe('refused')
  say('secret', 'after the restart, secret')
  say('lobby', 'after the restart')
  await expect.poll(() => messages('alice', 'secret')).toEqual(['for alice only', 'after the restart, secret'])
  await expect
    .poll(() => messages('bob', 'lobby'))
    .toEqual(['for everyone', 'marker 1', 'marker 2', 'while away', 'after the restart'])
  expect(await messages('bob', 'secret')).toEqual([])
  expect(await pages.alice.locator('#room-lobby .gap').isHidden()).toBe(true) // the whole stream's gap, no room's
  for (const user of ['alice', 'bob'] as const) {
    await pages[user].screenshot({ path: `${process.env['TMPDIR'] ?? '/tmp'}/herald-chat-${user}.png`, fullPage: true })
  }
})

it('loads and runs without a failed request but the refusal it provoked', () => {
  expect(failed).toEqual([])
})
