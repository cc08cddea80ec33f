import { type ChildProcess, spawn } from 'node:child_process'
import { createClient } from '@herald/client'
import { type RedisServer, startRedis } from '@herald/redis/testing'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { events } from './events.ts'

// `npm run start:scaled` as a user runs it: the launcher (src/scaled.ts) starts two real example
// processes sharing one real redis-server (this test's own, through REDIS_URL, so the test can kill
// and restart it), and a real Herald client reads one instance while the other emits.

let redis: RedisServer
let launcher: ChildProcess
let output = ''
/** The two instances' URLs: `a` runs the demos' clock, `b` only serves. */
const urls = { a: '', b: '' }

beforeAll(async () => {
  redis = await startRedis()
  launcher = spawn(process.execPath, ['--conditions=@herald/source', '--import', 'tsx', 'src/scaled.ts'], {
    cwd: new URL('..', import.meta.url),
    env: {
      ...process.env,
      PORT: '0',
      REDIS_URL: redis.url,
      EXAMPLE_SECRET: 'scaled-test-secret-0123456789-0123456789',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  await new Promise<void>((resolve, reject) => {
    const read = (chunk: Buffer) => {
      output += chunk.toString()
      if (output.includes('Ctrl-C stops them all')) resolve()
    }
    launcher.stdout?.on('data', read)
    launcher.stderr?.on('data', read)
    launcher.once('exit', (code) => reject(new Error(`the launcher exited (${code}):\n${output}`)))
  })
  urls.a = /\[instance 1\] Herald example on (\S+)/.exec(output)?.[1] ?? ''
  urls.b = /\[instance 2\] Herald example on (\S+)/.exec(output)?.[1] ?? ''
})

afterAll(async () => {
  if (launcher !== undefined && launcher.exitCode === null) {
    const exited = new Promise((resolve) => launcher.once('exit', resolve))
    launcher.kill('SIGINT') // stops both instances, then itself
    await exited
  }
  await redis?.stop()
})

/** Signs in as `user` on `url` and returns the signed cookie for the next requests. */
async function signIn(url: string, user: string): Promise<string> {
  const response = await fetch(`${url}/login?as=${user}`, { method: 'POST', redirect: 'manual' })
  return response.headers
    .getSetCookie()
    .map((cookie) => cookie.split(';')[0])
    .join('; ')
}

const ticketFrom = async (url: string, cookie: string, topic: string) => {
  const response = await fetch(`${url}/tickets?topic=${topic}`, { method: 'POST', headers: { cookie } })
  return ((await response.json()) as { ticket: string }).ticket
}

const say = (url: string, cookie: string, text: string) =>
  fetch(`${url}/say`, {
    method: 'POST',
    headers: { cookie, 'content-type': 'application/json' },
    body: JSON.stringify({ room: 'dev', text }),
  })

const ready = async (url: string) => (await fetch(`${url}/ready`)).status

it('runs two instances on one Redis: a message posted on one reaches a client of the other', async () => {
  expect(urls.a).toMatch(/^http:\/\/localhost:\d+$/)
  expect(urls.b).toMatch(/^http:\/\/localhost:\d+$/)
  expect(urls.a).not.toBe(urls.b)
  const cookie = await signIn(urls.a, 'alice')
  // Connected to b, with tickets issued by a: one secret, so b verifies them.
  const client = createClient(events, `${urls.b}/events`, {
    topics: ['room:dev'],
    ticket: () => ticketFrom(urls.a, cookie, 'room:dev'),
  })
  const texts: string[] = []
  const times: Date[] = []
  client.on('message', (message) => texts.push(message.text))
  client.on('time', (time) => times.push(time))
  try {
    await expect.poll(() => client.state, { timeout: 5000 }).toBe('open')
    expect((await say(urls.a, cookie, 'from a')).status).toBe(204)
    await expect.poll(() => texts, { timeout: 5000 }).toContain('from a')
    // b emits no clock of its own: these ticks were emitted on a.
    await expect.poll(() => times.length, { timeout: 5000 }).toBeGreaterThan(0)

    // Readiness: both up; Redis killed: both 503 and a post is refused (never delivered later);
    // Redis back: both 200, and the open stream carries on.
    expect([await ready(urls.a), await ready(urls.b)]).toEqual([200, 200])
    await redis.kill()
    await expect.poll(() => ready(urls.a), { timeout: 5000 }).toBe(503)
    await expect.poll(() => ready(urls.b), { timeout: 5000 }).toBe(503)
    expect((await say(urls.a, cookie, 'during the outage')).status).toBe(503)
    await redis.restart()
    await expect.poll(() => ready(urls.a), { timeout: 8000 }).toBe(200)
    await expect.poll(() => ready(urls.b), { timeout: 8000 }).toBe(200)
    await expect.poll(async () => (await say(urls.a, cookie, 'after the outage')).status, { timeout: 5000 }).toBe(204)
    await expect.poll(() => texts, { timeout: 5000 }).toContain('after the outage')
    expect(texts).not.toContain('during the outage')
    expect(client.state).toBe('open')
  } finally {
    client.close()
  }
})

it('a ticket is single use across the instances', async () => {
  const cookie = await signIn(urls.a, 'bob')
  const ticket = await ticketFrom(urls.a, cookie, 'room:lobby')
  const open = async (url: string) => {
    const controller = new AbortController()
    const response = await fetch(`${url}/events?topic=room:lobby&ticket=${ticket}`, { signal: controller.signal })
    controller.abort()
    return response.status
  }
  expect(await open(urls.b)).toBe(200)
  expect(await open(urls.a)).toBe(401) // used on b already
  expect(await open(urls.b)).toBe(401)
})
