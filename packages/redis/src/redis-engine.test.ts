import { type AddressInfo, connect as connectSocket, createServer, type Socket } from 'node:net'
import type { StoredEvent } from '@herald/server'
import { type AnyEngine, describeEngineConformance } from '@herald/server/testing'
import { createClient } from 'redis'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import type { RedisEngineClient } from './client.ts'
import { createRedisEngine, type RedisEngine } from './redis-engine.ts'
import { type RedisServer, startRedis } from './testing.ts'

const connect = async (url: string) => {
  const client = createClient({ url })
  client.on('error', () => {}) // reconnects by itself; the tests look at the engine
  await client.connect()
  return client
}
type Client = Awaited<ReturnType<typeof connect>>

let server: RedisServer
let first: Client
let second: Client
let admin: Client
beforeAll(async () => {
  server = await startRedis()
  ;[first, second, admin] = [await connect(server.url), await connect(server.url), await connect(server.url)]
})
afterAll(async () => {
  for (const client of [first, second, admin]) client?.destroy()
  await server?.stop()
})

let keys = 0
const freshKey = () => `herald-test:${process.pid}:${++keys}`
const keyOf = new WeakMap<AnyEngine, string>()

describeEngineConformance(
  'redis engine',
  async ({ historySize }) => {
    const key = freshKey()
    const engine = await createRedisEngine({ redis: first, key, historySize })
    keyOf.set(engine, key)
    return engine
  },
  {
    // A second process: its own client, the same key.
    share: (engine) =>
      createRedisEngine({ redis: second, key: keyOf.get(engine) as string, historySize: engine.historySize ?? 100 }),
  },
)

describe('redis engine', () => {
  const opened: RedisEngine[] = []
  afterEach(async () => {
    for (const engine of opened.splice(0)) await engine.close()
  })
  const open = async (options: Partial<Parameters<typeof createRedisEngine>[0]> = {}) => {
    const key = options.key ?? freshKey()
    const engine = await createRedisEngine({ redis: first, ...options, key })
    openedKeys.set(engine, key)
    opened.push(engine)
    return engine
  }
  const record = (engine: RedisEngine) => {
    const received: StoredEvent[] = []
    engine.subscribe((event) => received.push(event))
    return received
  }
  const idsOf = (events: readonly StoredEvent[]) => events.map((event) => event.id)

  it('two engines on one key issue one sequence of ids and deliver it in the same order to both', async () => {
    const a = await open()
    const b = await open({ redis: second, key: keyOfOpened(a) })
    const [seenA, seenB] = [record(a), record(b)]
    const fromA = Array.from({ length: 40 }, (_, n) => a.publish('n', `a${n}`, n % 2 ? ['room:1'] : undefined))
    const fromB = Array.from({ length: 40 }, (_, n) => b.publish('n', `b${n}`))
    const [idsA, idsB] = [await Promise.all(fromA), await Promise.all(fromB)]
    await expect.poll(() => [seenA.length, seenB.length], { timeout: 5000, interval: 5 }).toEqual([80, 80])
    expect(seenB).toEqual(seenA)
    expect(new Set(idsOf(seenA))).toEqual(new Set([...idsA, ...idsB]))
    // Each engine's own emits in the order it made them.
    expect(seenA.filter((event) => event.data.startsWith('a')).map((event) => event.id)).toEqual(idsA)
    expect(seenA.filter((event) => event.data.startsWith('b')).map((event) => event.id)).toEqual(idsB)
    expect(seenA.find((event) => event.data === 'a1')?.topics).toEqual(['room:1'])
  })

  it('a replay that reads ahead of the read loop resolves only once the loop has delivered what it returns', async () => {
    const a = await open()
    const b = await open({ redis: second, key: keyOfOpened(a) })
    const seen = record(a)
    const origin = a.lastId
    await b.publish('n', 'warm-up')
    await expect.poll(() => seen.length, { timeout: 5000, interval: 5 }).toBe(1)
    // Cut a's read loop off: it backs off before reading again, so its cursor stays behind.
    await killReader(first)
    const ids = [await b.publish('n', '1'), await b.publish('n', '2')]
    const replay = await a.replay(origin)
    expect(idsOf(replay.events).slice(1)).toEqual(ids)
    // Everything the replay returned was already delivered live: a channel drops those from its
    // live queue, so a resuming stream never gets one twice.
    expect(idsOf(seen)).toEqual(idsOf(replay.events))
  })

  it('keeps each history to historySize exactly and names a topic trimmed past an id in topicGaps', async () => {
    const engine = await open({ historySize: 3 })
    const origin = engine.lastId
    const roomA: string[] = []
    for (let n = 0; n < 5; n++) roomA.push(await engine.publish('n', `a${n}`, ['room:a']))
    const roomB = await engine.publish('n', 'b0', ['room:b'])
    const broadcast = await engine.publish('n', 'all')
    const key = keyOfOpened(engine)
    expect(await first.sendCommand(['XLEN', `{${key}}:t:room:a`])).toBe(3)
    expect(await first.sendCommand(['XLEN', `{${key}}:t:room:b`])).toBe(1)
    // The watermark: the newest id room:a dropped.
    const position = (id: string) => id.slice(id.indexOf('-') + 1)
    expect(await first.sendCommand(['HGET', `{${key}}:trimmed`, `{${key}}:t:room:a`])).toBe(
      position(roomA[1] as string),
    )
    const dataOf = (events: readonly StoredEvent[]) => events.map((event) => event.data)
    // From the watermark itself nothing is missing; from before it, room:a is named and replays nothing.
    const fromMark = await engine.replay(roomA[1] as never, ['room:a', 'room:b'])
    expect(fromMark).toMatchObject({ gap: false, topicGaps: [] })
    expect(dataOf(fromMark.events)).toEqual(['a2', 'a3', 'a4', 'b0', 'all'])
    const fromOrigin = await engine.replay(origin, ['room:a', 'room:b'])
    expect(fromOrigin).toMatchObject({ gap: false, topicGaps: ['room:a'] })
    expect(idsOf(fromOrigin.events)).toEqual([roomB, broadcast])
  })

  it('Redis losing its data with the connection up (FLUSHALL): one emit rejects, the next goes out under a new epoch', async () => {
    const engine = await open()
    const before = engine.epoch
    await engine.publish('n', 'before')
    const key = openedKeys.get(engine) as string
    await admin.sendCommand(['DEL', `{${key}}:epoch`])
    await expect(engine.publish('n', 'lost')).rejects.toMatchObject({
      code: 'ENGINE_UNAVAILABLE',
      message: expect.stringContaining('the log started over'),
    })
    // The rejected emit made the engine read the epoch again: the next one is sent.
    await expect.poll(() => engine.epoch, { timeout: 2000 }).not.toBe(before)
    const id = await engine.publish('n', 'after')
    expect(id.startsWith(`${engine.epoch}-`)).toBe(true)
  })

  it('a step of the wall clock does not move the publish deadline (it is kept on the monotonic clock)', async () => {
    const engine = await open({ publishTimeoutMs: 1000 })
    const now = Date.now
    try {
      Date.now = () => now() - 5000 // stepped back 5 s: a deadline from Date.now would be past already
      await expect(engine.publish('n', 'back')).resolves.toMatch(/^\w+-\d+-\d+$/)
      Date.now = () => now() + 5000
      await expect(engine.publish('n', 'forward')).resolves.toMatch(/^\w+-\d+-\d+$/)
    } finally {
      Date.now = now
    }
  })

  it('a read loop that fell behind the log past its retention says so (onLost) instead of skipping silently', async () => {
    // Instance A reaches Redis through a proxy that can hold Redis's replies: a stalled network.
    const held: Socket[] = []
    const proxy = createServer((down) => {
      const up = connectSocket(server.port, '127.0.0.1')
      down.pipe(up)
      up.pipe(down)
      held.push(up)
      down.on('error', () => {})
      up.on('error', () => {})
    })
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', () => resolve()))
    const slow = await connect(`redis://127.0.0.1:${(proxy.address() as AddressInfo).port}`)
    const key = freshKey()
    const a = await createRedisEngine({ redis: slow, key, historySize: 100 })
    const b = await open({ key, historySize: 100 })
    let lost = 0
    const seen: string[] = []
    a.subscribe(
      (event) => seen.push(event.id),
      () => lost++,
    )
    const first = await b.publish('n', 'first')
    await expect.poll(() => seen).toContain(first)
    for (const socket of held) socket.pause() // A reads nothing more
    // The log keeps about 10,000 entries: publish past that while A is stalled.
    const ids: string[] = []
    for (let batch = 0; batch < 15; batch++) {
      ids.push(...(await Promise.all(Array.from({ length: 1000 }, (_, n) => b.publish('n', String(n))))))
    }
    for (const socket of held) socket.resume()
    await expect.poll(() => seen.at(-1), { timeout: 10_000 }).toBe(ids.at(-1))
    expect(seen.length - 1).toBeLessThan(ids.length) // some were trimmed unread…
    expect(lost).toBe(1) // …and A said so, once
    await a.close()
    slow.destroy()
    proxy.close()
  })

  it('maxAgeMs: events older than it are a gap, not replayed', async () => {
    const engine = await open({ maxAgeMs: 100 })
    const origin = engine.lastId
    const old = await engine.publish('n', 'old')
    expect((await engine.replay(origin)).events.map((event) => event.id)).toEqual([old])
    await new Promise((resolve) => setTimeout(resolve, 150))
    expect(await engine.replay(origin)).toEqual({ events: [], gap: true })
    const fresh = await engine.publish('n', 'fresh')
    expect(await engine.replay(old)).toEqual({ gap: false, events: [{ id: fresh, name: 'n', data: 'fresh' }] })
  })

  it('maxAgeMs: a topic no longer published to leaves Redis; resuming it is a gap only if it had newer events', async () => {
    const engine = await open({ maxAgeMs: 100 })
    const origin = engine.lastId
    const quiet = await engine.publish('n', 'quiet', ['room:q'])
    const keys = (await first.sendCommand(['KEYS', '*'])) as string[]
    const stream = keys.find((key) => key.endsWith(':t:room:q'))
    expect(stream).toBeDefined()
    await new Promise((resolve) => setTimeout(resolve, 150))
    expect(await first.sendCommand(['EXISTS', stream as string])).toBe(0)
    // Behind its last event: that event is gone, a gap. At it: nothing was missed. A topic never
    // used: nothing to miss either.
    expect(await engine.replay(origin, ['room:q'])).toMatchObject({ events: [], topicGaps: ['room:q'] })
    expect(await engine.replay(quiet, ['room:q', 'room:never'])).toMatchObject({ events: [], topicGaps: [] })
  })

  it('rejects options it cannot use with INVALID_OPTIONS, and a client not connected with ENGINE_UNAVAILABLE', async () => {
    const bad: unknown[] = [
      null,
      { redis: first },
      { redis: {}, key: 'k' },
      { redis: first, key: '' },
      { redis: first, key: 'a{b}' },
      { redis: first, key: 'k', historySize: -1 },
      { redis: first, key: 'k', historySize: 1.5 },
      { redis: first, key: 'k', maxAgeMs: 0 },
      { redis: first, key: 'k', publishTimeoutMs: 0 },
      { redis: first, key: 'k', blockMs: '5' },
    ]
    for (const options of bad) {
      await expect(createRedisEngine(options as never), JSON.stringify(options)).rejects.toMatchObject({
        code: 'INVALID_OPTIONS',
      })
    }
    const offline = createClient({ url: server.url })
    await expect(createRedisEngine({ redis: offline, key: freshKey() })).rejects.toMatchObject({
      code: 'ENGINE_UNAVAILABLE',
    })
  })

  it('an emit Redis takes too late rejects with ENGINE_UNAVAILABLE and is never stored', async () => {
    const engine = await open({ publishTimeoutMs: 100 })
    const seen = record(engine)
    await admin.sendCommand(['CLIENT', 'PAUSE', '400', 'WRITE'])
    const started = Date.now()
    await expect(engine.publish('n', 'late')).rejects.toMatchObject({ code: 'ENGINE_UNAVAILABLE' })
    expect(Date.now() - started).toBeLessThan(350)
    await new Promise((resolve) => setTimeout(resolve, 500)) // the pause is over: the script ran and refused
    expect(await first.sendCommand(['XLEN', `{${keyOfOpened(engine)}}:log`])).toBe(0)
    const after = await engine.publish('n', 'on time')
    await expect.poll(() => idsOf(seen), { timeout: 5000, interval: 5 }).toEqual([after])
  })

  it('health() and available follow Redis: down while it is unreachable, ready again when it returns', async () => {
    const own = await startRedis()
    const client = await connect(own.url)
    try {
      const engine = await createRedisEngine({ redis: client, key: freshKey(), publishTimeoutMs: 300 })
      opened.push(engine)
      expect(engine.available).toBe(true)
      expect(engine.health()).toMatchObject({ state: 'ready' })
      const seen = record(engine)
      const epoch = engine.epoch
      await own.kill()
      await expect.poll(() => engine.available, { timeout: 5000, interval: 10 }).toBe(false)
      expect(engine.health()).toMatchObject({ state: 'down', lastError: expect.any(String) })
      await expect(engine.publish('n', 'during')).rejects.toMatchObject({ code: 'ENGINE_UNAVAILABLE' })
      await own.restart() // without persistence: Redis comes back empty, so a new epoch
      await expect.poll(() => engine.available, { timeout: 10_000, interval: 20 }).toBe(true)
      expect(engine.health()).toMatchObject({ state: 'ready' })
      let id: string | undefined
      await expect
        .poll(async () => (id = await engine.publish('n', 'after').catch(() => undefined)), {
          timeout: 5000,
          interval: 50,
        })
        .toBeDefined()
      expect(engine.epoch).not.toBe(epoch)
      await expect.poll(() => idsOf(seen), { timeout: 5000, interval: 5 }).toContain(id)
      expect(seen.map((event) => event.data)).not.toContain('during')
    } finally {
      client.destroy()
      await own.stop()
    }
  })
})

/** The key an engine of this file was opened on. */
function keyOfOpened(engine: RedisEngine): string {
  const key = openedKeys.get(engine)
  if (key === undefined) throw new Error('not opened by this file')
  return key
}
const openedKeys = new WeakMap<RedisEngine, string>()

/** Kills the connection of the read loop blocked in XREAD on `client`'s server. */
async function killReader(client: RedisEngineClient): Promise<void> {
  const list = String(await client.sendCommand(['CLIENT', 'LIST']))
  const ids = list
    .split('\n')
    .filter((line) => line.includes('cmd=xread'))
    .map((line) => /id=(\d+)/.exec(line)?.[1] as string)
  for (const id of ids) await client.sendCommand(['CLIENT', 'KILL', 'ID', id])
}
