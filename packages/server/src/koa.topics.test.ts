import { connect } from 'node:net'
import { fingerprintOf, HeraldError } from '@herald/schema'
import { describe, expect, it } from 'vitest'
import { createChannel } from './channel.ts'
import { sse } from './koa.ts'
import { openProbe, type ProbeStream, until } from './sse-probe.ts'
import { useCleanup } from './test-server.ts'
import { blocksIn, controlsIn, seededRandom, seqsIn, serveTopics, topicEvents, userOf } from './test-topics.ts'

// Topics through Koa: which topics a stream joins (the server's from `topics`, the client's through
// `authorize`), what it is told of the others, and that it then receives its own events and nobody
// else's. Real Koa servers on real ports, read by real HTTP clients.

const defer = useCleanup()
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
type Topic = `user:${string}` | `room:${number}`

async function setup(options: Parameters<typeof serveTopics>[1], before?: Parameters<typeof serveTopics>[2]) {
  const channel = createChannel(topicEvents, { heartbeatMs: 0, retryMs: 50 })
  const server = await serveTopics(channel, options, before)
  defer(
    () => server.close(),
    () => channel.close(),
  )
  const open = async (query: string, user = 'ann') => {
    const stream = await openProbe(`${server.url}${query}`, { 'x-user': user })
    defer(() => stream.close())
    return stream
  }
  return { channel, server, open }
}

/** Resolves once every stream in `streams` has received the `done` event. */
const allDone = (streams: readonly ProbeStream[], ms = 10_000) =>
  until(
    () => streams.every((stream) => stream.text().includes('event: done\n')),
    () => `${streams.filter((stream) => !stream.text().includes('event: done\n')).length} streams without done`,
    ms,
  )

describe('isolation: 100 connections as 20 users in 10 rooms', () => {
  it('each connection receives exactly its own events, in id order, each once, none of anyone else’s', async () => {
    const { channel, open } = await setup({
      topics: (ctx) => [`user:${userOf(ctx)}`],
      // A user may read any room, and no other user's feed.
      authorize: async (_ctx, topic) => topic.startsWith('room:'),
    })
    const USERS = 20
    const ROOMS = 10
    const connections = Array.from({ length: 100 }, (_, n) => ({
      user: `u${n % USERS}`,
      room: Math.floor(n / 10) + 1, // so a user's five connections sit in different rooms
    }))
    const streams = await Promise.all(connections.map(({ user, room }) => open(`?topic=room:${room}`, user)))
    await until(
      () => streams.every((stream) => stream.text().includes('event: herald:hello')),
      () => 'hellos',
    )
    expect(channel.size).toBe(100)
    // Each joined its own feed and its room, and nothing else.
    connections.forEach(({ user, room }, n) => {
      const [hello] = controlsIn((streams[n] as ProbeStream).text(), 'herald:hello')
      expect(hello).toMatchObject({ topics: [`user:${user}`, `room:${room}`] })
    })

    const random = seededRandom(9)
    const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)] as T
    const anyUser = (): Topic => `user:u${Math.floor(random() * USERS)}`
    const anyRoom = (): Topic => `room:${1 + Math.floor(random() * ROOMS)}`
    const sent: { seq: number; topics: readonly string[] | undefined }[] = []
    let seq = 0
    while (seq < 2000) {
      // Bursts of 1 to 30 emits in one tick, so single-event and mixed ticks both happen.
      const burst = 1 + Math.floor(random() * 30)
      for (let n = 0; n < burst && seq < 2000; n++) {
        seq += 1
        const roll = random()
        let topics: Topic[] | undefined
        if (roll < 0.3) topics = [anyUser()]
        else if (roll < 0.6) topics = [anyRoom()]
        else if (roll < 0.75) topics = [anyUser(), anyRoom(), anyUser()]
        else if (roll < 0.9) {
          // Both topics of one connection: it must get the event once.
          const { user, room } = pick(connections)
          topics = [`user:${user}`, `room:${room}`]
        }
        if (topics === undefined) channel.emit('n', { seq })
        else channel.to(topics).emit('n', { seq })
        sent.push({ seq, topics })
      }
      await new Promise((resolve) => setImmediate(resolve))
    }
    channel.emit('done', null)
    await allDone(streams)

    let delivered = 0
    connections.forEach(({ user, room }, n) => {
      const mine = new Set([`user:${user}`, `room:${room}`])
      const expected = sent
        .filter(({ topics }) => topics === undefined || topics.some((topic) => mine.has(topic)))
        .map((event) => event.seq)
      const text = (streams[n] as ProbeStream).text()
      expect(seqsIn(text), `connection ${n} (${user}, room:${room})`).toEqual(expected)
      const ids = blocksIn(text)
        .filter((block) => block.event === 'n')
        .map((block) => block.id as string)
      expect(new Set(ids).size).toBe(ids.length)
      expect(controlsIn(text, 'herald:gap')).toEqual([])
      delivered += expected.length
    })
    // Sanity: the run was not trivial (broadcasts alone are ~10%).
    expect(delivered).toBeGreaterThan(100 * 300)
  }, 30_000)
})

describe('refused topics', () => {
  it('without authorize, every topic a client asks for is refused (forbidden); the stream keeps its server topics', async () => {
    const { channel, open } = await setup({ topics: (ctx) => [`user:${userOf(ctx)}`] })
    const stream = await open('?topic=room:1&topic=user:bob')
    await until(
      () => controlsIn(stream.text(), 'herald:refused').length === 2,
      () => stream.text(),
    )
    expect(controlsIn(stream.text(), 'herald:hello')).toMatchObject([{ heartbeatMs: 0, topics: ['user:ann'] }])
    expect(controlsIn(stream.text(), 'herald:refused')).toEqual([
      { topic: 'room:1', reason: 'forbidden' },
      { topic: 'user:bob', reason: 'forbidden' },
    ])
    channel.to('room:1').emit('n', { seq: 1 })
    channel.to('user:bob').emit('n', { seq: 2 })
    channel.to('user:ann').emit('n', { seq: 3 })
    channel.emit('n', { seq: 4 })
    channel.emit('done', null)
    await allDone([stream])
    expect(seqsIn(stream.text())).toEqual([3, 4])
  })

  it('authorize: true joins, false / a throw / a rejection refuse (forbidden), async or not; throws go to app.on(error)', async () => {
    const boom = new Error('authorize failed')
    const { channel, server, open } = await setup({
      authorize: async (ctx, topic) => {
        await sleep(5)
        if (topic === 'room:3') throw boom
        if (topic === 'room:4') return Promise.reject(boom)
        return topic === 'room:1' || topic === `user:${userOf(ctx)}`
      },
    })
    const stream = await open('?topic=room:1&topic=room:2&topic=room:3&topic=room:4&topic=user:ann&topic=user:bob')
    await until(
      () => stream.text().includes('"topic":"user:bob"'),
      () => stream.text(),
    )
    expect(controlsIn(stream.text(), 'herald:hello')).toMatchObject([{ topics: ['room:1', 'user:ann'] }])
    expect(controlsIn(stream.text(), 'herald:refused')).toEqual(
      ['room:2', 'room:3', 'room:4', 'user:bob'].map((topic) => ({ topic, reason: 'forbidden' })),
    )
    expect(server.errors).toEqual([boom, boom])
    for (let room = 1; room <= 4; room++) channel.to(`room:${room}`).emit('n', { seq: room })
    channel.to(['user:bob', 'user:ann']).emit('n', { seq: 5 })
    channel.to('user:bob').emit('n', { seq: 6 })
    channel.emit('done', null)
    await allDone([stream])
    expect(seqsIn(stream.text())).toEqual([1, 5])
  })

  it('a topic the contract does not declare is refused as invalid; past maxTopics as limit; the stream stays open', async () => {
    const { channel, open } = await setup({ authorize: () => true, maxTopics: 2 })
    const stream = await open('?topic=room:042&topic=room:1&topic=chat:1&topic=room:2&topic=room:3')
    await until(
      () => controlsIn(stream.text(), 'herald:refused').length === 4,
      () => stream.text(),
    )
    expect(controlsIn(stream.text(), 'herald:hello')).toMatchObject([{ topics: ['room:1'] }])
    // Counted as asked, valid or not: the third and later are over the limit whatever they are.
    expect(controlsIn(stream.text(), 'herald:refused')).toEqual([
      { topic: 'room:042', reason: 'invalid' },
      { topic: 'chat:1', reason: 'limit' },
      { topic: 'room:2', reason: 'limit' },
      { topic: 'room:3', reason: 'limit' },
    ])
    for (let room = 1; room <= 3; room++) channel.to(`room:${room}`).emit('n', { seq: room })
    channel.emit('done', null)
    await allDone([stream])
    expect(seqsIn(stream.text())).toEqual([1])
    expect(channel.size).toBe(1)
  })

  it('a server topic the contract does not declare is a 500 (INVALID_TOPIC), not a crash', async () => {
    const { channel, server, open } = await setup({
      topics: (ctx) => (userOf(ctx) === 'Bad Name' ? ['user:Bad Name' as Topic] : [`user:${userOf(ctx)}`]),
    })
    const response = await fetch(server.url, { headers: { 'x-user': 'Bad Name' } })
    expect(response.status).toBe(500)
    expect(response.headers.get('content-type')).not.toContain('text/event-stream')
    await response.text()
    expect(server.errors).toHaveLength(1)
    expect(server.errors[0]).toBeInstanceOf(HeraldError)
    expect(server.errors[0]).toMatchObject({ code: 'INVALID_TOPIC', topic: 'user:Bad Name' })
    expect(channel.size).toBe(0)
    // The server carries on.
    const stream = await open('')
    await until(
      () => stream.text().includes('herald:hello'),
      () => stream.text(),
    )
    expect(controlsIn(stream.text(), 'herald:hello')).toMatchObject([{ topics: ['user:ann'] }])
  })

  it('a stream with no topics and no options is what it was before topics, byte for byte', async () => {
    const { channel, open } = await setup({}, [])
    channel.emit('n', { seq: 0 })
    const stream = await open('')
    await until(
      () => stream.text().includes('herald:hello'),
      () => stream.text(),
    )
    channel.to('room:1').emit('n', { seq: 1 })
    const id = channel.emit('n', { seq: 2 })
    channel.emit('done', null)
    await allDone([stream])
    const text = stream.text()
    const retry = /^retry: (\d+)$/m.exec(text)?.[1]
    const hello = /^id: (.*)\nevent: herald:hello$/m.exec(text)?.[1]
    expect(text.startsWith(`: herald\nretry: ${retry}\nid: ${hello}\nevent: herald:hello\n`)).toBe(true)
    // The hello's one addition since: the contract's fingerprint (docs/drift.md).
    const schema = JSON.stringify(fingerprintOf(topicEvents))
    expect(text).toContain(
      `data: {"heartbeatMs":0,"retryMs":${retry},"schema":${schema}}\n\nid: ${id}\nevent: n\ndata: {"seq":2}\n\n`,
    )
    expect(text).not.toContain('topics')
    expect(text).not.toContain('herald:refused')
    expect(seqsIn(text)).toEqual([2])
    // Asking for a topic there: refused (no authorize), the stream otherwise the same.
    const asking = await open('?topic=room:1')
    await until(
      () => asking.text().includes('herald:refused'),
      () => asking.text(),
    )
    expect(controlsIn(asking.text(), 'herald:hello')).toEqual([
      { heartbeatMs: 0, retryMs: expect.any(Number), schema: fingerprintOf(topicEvents) },
    ])
    expect(controlsIn(asking.text(), 'herald:refused')).toEqual([{ topic: 'room:1', reason: 'forbidden' }])
  })
})

describe('sse() options', () => {
  it('are checked when the middleware is made: a bad maxTopics, topics, authorize or tickets throws INVALID_OPTIONS', () => {
    const channel = createChannel(topicEvents, { heartbeatMs: 0 })
    defer(() => channel.close())
    const bad: Record<string, unknown>[] = [
      { maxTopics: Number.NaN }, // would lift the limit: `index >= NaN` is never true
      { maxTopics: -1 },
      { maxTopics: 1.5 },
      { maxTopics: '10' },
      { topics: ['room:1'] },
      { authorize: true },
      { tickets: {} },
      { tickets: null },
    ]
    for (const options of bad) {
      expect(() => sse(channel, options as never), JSON.stringify(options)).toThrow(
        expect.objectContaining({ code: 'INVALID_OPTIONS' }),
      )
    }
    expect(() =>
      sse(channel, { maxTopics: 0, topics: undefined, authorize: undefined, tickets: undefined }),
    ).not.toThrow()
  })
})

describe('hostile requests', () => {
  it('a client that leaves while authorize is pending gets no stream, and leaves none behind', async () => {
    let release = (_allow: boolean) => {}
    let asked = 0
    const { channel, server } = await setup({
      authorize: () => {
        asked += 1
        return new Promise<boolean>((resolve) => {
          release = resolve
        })
      },
    })
    const socket = connect({ port: server.port, host: '127.0.0.1' })
    socket.on('error', () => {})
    let received = ''
    socket.on('data', (chunk: Buffer) => {
      received += chunk.toString('latin1')
    })
    socket.write('GET /events?topic=room:1 HTTP/1.1\r\nHost: 127.0.0.1\r\nx-user: ann\r\n\r\n')
    await until(
      () => asked === 1,
      () => 'authorize not asked',
    )
    socket.destroy()
    await sleep(20)
    release(true)
    await sleep(50)
    expect(channel.size).toBe(0)
    expect(received).toBe('')
    expect(server.errors).toEqual([])
    // The channel still serves: a slot was not leaked (nor a socket claimed).
    const ok = await openProbe(`${server.url}?as=bob`)
    defer(() => ok.close())
    await until(
      () => ok.text().includes('herald:hello'),
      () => ok.text(),
    )
    expect(channel.size).toBe(1)
  })

  it('requests waiting on authorize hold their slots: a flood past maxConnections is turned away, not queued', async () => {
    const waiting: ((allow: boolean) => void)[] = []
    const channel = createChannel(topicEvents, { heartbeatMs: 0, retryMs: 50, maxConnections: 3 })
    const server = await serveTopics(channel, {
      authorize: () => new Promise<boolean>((resolve) => waiting.push(resolve)),
    })
    defer(
      () => server.close(),
      () => channel.close(),
    )
    const held = await Promise.all(
      [1, 2, 3].map((n) => {
        const socket = connect({ port: server.port, host: '127.0.0.1' })
        socket.on('error', () => {})
        socket.write(`GET /events?topic=room:${n} HTTP/1.1\r\nHost: 127.0.0.1\r\nx-user: ann\r\n\r\n`)
        defer(() => socket.destroy())
        return socket
      }),
    )
    await until(
      () => waiting.length === 3,
      () => `${waiting.length} asked`,
    )
    // A fourth, while three wait on authorize: busy at once, and authorize is never asked for it.
    const fourth = await fetch(`${server.url}?topic=room:4`, { headers: { 'x-user': 'ann' } })
    expect(fourth.headers.get('herald-refused')).toBe('busy')
    await fourth.text()
    expect(waiting).toHaveLength(3)
    // One of the three leaves: its slot comes back, and a new request is asked about, then streams.
    held[0]?.destroy()
    await until(
      () => channel.size === 0 && waiting.length === 3,
      () => 'still waiting',
    )
    await sleep(20) // the destroyed socket's close reaches the server
    // Its headers come once authorize answers: not awaited yet.
    const opening = openProbe(`${server.url}?topic=room:5`, { 'x-user': 'ann' })
    await until(
      () => waiting.length === 4,
      () => `${waiting.length} asked: the slot did not come back`,
    )
    for (const allow of waiting) allow(true)
    const fifth = await opening
    defer(() => fifth.close())
    await until(
      () => channel.size === 3,
      () => `${channel.size} streams`,
    )
    expect(controlsIn(fifth.text(), 'herald:hello')).toMatchObject([{ topics: ['room:5'] }])
  })

  it('1,000 topic parameters: authorize is asked at most maxTopics times, the rest refused as limit', async () => {
    let asked = 0
    const { channel, open } = await setup({
      authorize: () => {
        asked += 1
        return true
      },
    })
    const query = Array.from({ length: 1000 }, (_, n) => `topic=room:${n + 1}`).join('&')
    const started = performance.now()
    const stream = await open(`?${query}`)
    await until(
      () => controlsIn(stream.text(), 'herald:refused').length === 900,
      () => `${controlsIn(stream.text(), 'herald:refused').length} refused`,
    )
    const took = performance.now() - started
    expect(asked).toBe(100)
    const [hello] = controlsIn(stream.text(), 'herald:hello') as { topics: string[] }[]
    expect(hello?.topics).toHaveLength(100)
    expect(
      (controlsIn(stream.text(), 'herald:refused') as { reason: string }[]).every(({ reason }) => reason === 'limit'),
    ).toBe(true)
    expect(took).toBeLessThan(2000)
    channel.to('room:100').emit('n', { seq: 1 })
    channel.to('room:101').emit('n', { seq: 2 })
    channel.emit('done', null)
    await allDone([stream])
    expect(seqsIn(stream.text())).toEqual([1])
  })

  it('a 10 KB topic is refused as invalid, shown cut; the stream keeps its other topics', async () => {
    const { channel, open } = await setup({ authorize: () => true })
    const huge = `room:${'7'.repeat(10_000)}`
    const stream = await open(`?topic=${huge}&topic=room:7`)
    await until(
      () => stream.text().includes('herald:refused'),
      () => stream.text().slice(0, 500),
    )
    expect(controlsIn(stream.text(), 'herald:hello')).toMatchObject([{ topics: ['room:7'] }])
    expect(controlsIn(stream.text(), 'herald:refused')).toEqual([{ topic: huge.slice(0, 256), reason: 'invalid' }])
    channel.to('room:7').emit('n', { seq: 7 })
    channel.emit('done', null)
    await allDone([stream])
    expect(seqsIn(stream.text())).toEqual([7])
  })

  it('pipelined requests with topics: never more than one stream a socket, and none left once it closes', async () => {
    let asked = 0
    const { channel, server } = await setup({
      authorize: async () => {
        asked += 1
        await sleep(asked % 3)
        return true
      },
    })
    let most = 0
    const watch = setInterval(() => {
      most = Math.max(most, channel.size)
    }, 1)
    defer(() => clearInterval(watch))
    const SOCKETS = 5
    const sockets = Array.from({ length: SOCKETS }, () => {
      const socket = connect({ port: server.port, host: '127.0.0.1' })
      socket.on('error', () => {})
      socket.resume()
      const request = (n: number) =>
        `GET /events?topic=room:${n}&topic=room:${n + 1} HTTP/1.1\r\nHost: 127.0.0.1\r\nx-user: ann\r\n\r\n`
      socket.write(Array.from({ length: 50 }, (_, n) => request(n + 1)).join(''))
      defer(() => socket.destroy())
      return new Promise<void>((resolve) => socket.once('close', () => resolve()))
    })
    // The server closes each socket itself, at the request pipelined behind a stream.
    await Promise.race([Promise.all(sockets), sleep(3000)])
    most = Math.max(most, channel.size)
    expect(most).toBeLessThanOrEqual(SOCKETS)
    await until(
      () => channel.size === 0,
      () => `${channel.size} streams left`,
    )
    expect(await Promise.race([Promise.all(sockets).then(() => 'closed'), sleep(10).then(() => 'open')])).toBe('closed')
  })

  it('an emit to a topic nobody joined writes nothing to any stream', async () => {
    const { channel, server } = await setup({ topics: (ctx) => [`user:${userOf(ctx)}`], authorize: () => true })
    const sockets = ['ann', 'bob'].map((user) => {
      const socket = connect({ port: server.port, host: '127.0.0.1' })
      socket.on('error', () => {})
      let bytes = 0
      socket.on('data', (chunk: Buffer) => {
        bytes += chunk.length
      })
      socket.write(`GET /events?topic=room:1 HTTP/1.1\r\nHost: 127.0.0.1\r\nx-user: ${user}\r\n\r\n`)
      defer(() => socket.destroy())
      return { bytes: () => bytes }
    })
    await until(
      () => channel.size === 2,
      () => 'streams',
    )
    await sleep(50)
    const before = sockets.map(({ bytes }) => bytes())
    for (let seq = 0; seq < 1000; seq++) {
      if (seq % 2 === 0) channel.to('room:2').emit('n', { seq })
      else channel.to(['room:2', 'user:cat']).emit('n', { seq })
      if (seq % 7 === 0) await new Promise((resolve) => setImmediate(resolve)) // single and mixed ticks
    }
    await sleep(50)
    expect(sockets.map(({ bytes }) => bytes())).toEqual(before)
  })
})
