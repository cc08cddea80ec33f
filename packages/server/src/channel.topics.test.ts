import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { describe, expect, it } from 'vitest'
import { createChannel } from './channel.ts'
import { openProbe, type ProbeStream, until } from './sse-probe.ts'
import { useCleanup } from './test-server.ts'
import { blocksIn, controlsIn, seededRandom, seqsIn, type TopicEvents, topicEvents } from './test-topics.ts'
import { requestedTopics } from './topic-access.ts'
import type { Channel, ChannelOptions } from './types.ts'

// A stream's topics through channel.handle: one Last-Event-ID resumes them all, each topic keeps
// its own history (a busy one never pushes a quiet one out), and a topic whose history no longer
// reaches back is named in its own gap. Real node:http servers, real HTTP readers.

const defer = useCleanup()
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
type Topic = `user:${string}` | `room:${number}`

/** Serves `channel` with the `?topic=` of each request joined by the server (no authorize here). */
async function serve(channel: Channel<TopicEvents>) {
  const server = http.createServer((req, res) => channel.handle(req, res, { topics: requestedTopics(req.url) }))
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  defer(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  )
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/`
}

async function setup(options: ChannelOptions = {}) {
  const channel = createChannel(topicEvents, { heartbeatMs: 0, retryMs: 50, ...options })
  defer(() => channel.close())
  const url = await serve(channel)
  const open = async (topics: readonly string[], lastEventId?: string, at = url) => {
    const query = topics.map((topic) => `topic=${encodeURIComponent(topic)}`).join('&')
    const stream = await openProbe(`${at}?${query}`, lastEventId === undefined ? {} : { 'last-event-id': lastEventId })
    defer(() => stream.close())
    return stream
  }
  return { channel, url, open }
}

/** The last `id:` of the complete blocks received, as an EventSource keeps it. */
const lastIdOf = (text: string) => blocksIn(text).findLast((block) => block.id !== undefined)?.id
const received = (stream: ProbeStream, needle: string) =>
  until(
    () => stream.text().includes(needle),
    () => stream.text(),
  )

describe('per-topic resume', () => {
  it('a quiet topic beside a busy one: its missed events replay, a gap names the busy one only, then live', async () => {
    const { channel, open } = await setup({ historySize: 3 })
    const topics = ['room:1', 'room:2']
    const first = await open(topics)
    channel.to('room:1').emit('n', { seq: 1 })
    channel.to('room:2').emit('n', { seq: 2 })
    channel.emit('done', null)
    await received(first, 'event: done')
    const lastEventId = lastIdOf(first.text()) as string
    first.close()
    await until(
      () => channel.size === 0,
      () => 'stream still open',
    )

    // Away: two quiet events, ten busy ones (historySize 3), a broadcast and another room's.
    channel.to('room:1').emit('n', { seq: 3 })
    for (let seq = 4; seq < 14; seq++) channel.to('room:2').emit('n', { seq })
    channel.to('room:1').emit('n', { seq: 14 })
    channel.emit('n', { seq: 15 })
    channel.to('room:3').emit('n', { seq: 16 })
    channel.to(['room:3', 'room:1']).emit('n', { seq: 17 })

    const resumed = await open(topics, lastEventId)
    await received(resumed, '"seq":17')
    channel.to('room:2').emit('n', { seq: 18 })
    channel.to('room:1').emit('n', { seq: 19 })
    channel.emit('done', null)
    await received(resumed, 'event: done')
    const blocks = blocksIn(resumed.text())
    expect(blocks.map((block) => block.event)).toEqual([
      'herald:hello',
      'herald:gap',
      ...Array(4).fill('n'), // 3, 14, 15, 17: the quiet topic's and the broadcast, in order
      'n',
      'n',
      'done',
    ])
    expect(controlsIn(resumed.text(), 'herald:hello')).toMatchObject([{ topics }])
    // A resuming stream's hello carries no id: the client keeps the one it had.
    expect(blocks[0]?.id).toBeUndefined()
    expect(controlsIn(resumed.text(), 'herald:gap')).toEqual([{ lastEventId, topic: 'room:2' }])
    expect(blocks[1]?.id).toBeUndefined() // events follow, each with its own id
    expect(seqsIn(resumed.text())).toEqual([3, 14, 15, 17, 18, 19])
  })

  it('the gap block moves a client that gets nothing replayed to where the stream joined', async () => {
    const { channel, open } = await setup({ historySize: 2 })
    const first = await open(['room:1'])
    channel.to('room:1').emit('n', { seq: 1 })
    await received(first, '"seq":1')
    const lastEventId = lastIdOf(first.text()) as string
    first.close()
    for (let seq = 2; seq < 6; seq++) channel.to('room:1').emit('n', { seq })
    const newest = channel.to('room:9').emit('n', { seq: 6 })
    const resumed = await open(['room:1'], lastEventId)
    await received(resumed, 'herald:gap')
    const gap = blocksIn(resumed.text()).find((block) => block.event === 'herald:gap')
    expect(JSON.parse(gap?.data as string)).toEqual({ lastEventId, topic: 'room:1' })
    expect(gap?.id).toBe(newest)
  })

  it('an id of another epoch (a restart) is one gap of the whole stream, naming no topic', async () => {
    const { channel, open } = await setup()
    const topics = ['room:1', 'user:ann', 'room:2']
    const first = await open(topics)
    channel.to('room:1').emit('n', { seq: 1 })
    await received(first, '"seq":1')
    const lastEventId = lastIdOf(first.text()) as string

    // The server restarts: a new channel (a new engine, a new epoch) on a new port.
    const restarted = createChannel(topicEvents, { heartbeatMs: 0 })
    defer(() => restarted.close())
    const url = await serve(restarted)
    restarted.to('room:1').emit('n', { seq: 2 })
    const resumed = await open(topics, lastEventId, url)
    await received(resumed, 'herald:gap')
    restarted.to('room:2').emit('n', { seq: 3 })
    restarted.emit('done', null)
    await received(resumed, 'event: done')
    expect(controlsIn(resumed.text(), 'herald:gap')).toEqual([{ lastEventId }])
    // All of the new log that is still held follows the gap: nothing new is skipped.
    expect(seqsIn(resumed.text())).toEqual([2, 3])
  })

  it('Last-Event-ID is one id whatever the number of topics', async () => {
    const { channel, open } = await setup()
    const topics = Array.from({ length: 100 }, (_, n) => `room:${n + 1}`)
    const stream = await open(topics)
    for (const topic of topics) channel.to(topic as Topic).emit('n', { seq: 1 })
    channel.emit('done', null)
    await received(stream, 'event: done')
    const ids = blocksIn(stream.text()).flatMap((block) => (block.id === undefined ? [] : [block.id]))
    expect(ids).toHaveLength(102) // the hello, 100 events, done
    for (const id of ids) expect(id).toMatch(/^[A-Za-z0-9]{1,16}-\d+-\d+$/)
    expect(Math.max(...ids.map((id) => id.length))).toBeLessThanOrEqual(16 + 1 + 20 + 1 + 20)
  })

  it('random socket kills under steady emits: nothing lost, nothing duplicated, in order', async () => {
    const { channel, open } = await setup({ historySize: 5000 })
    const topics = ['room:1', 'user:ann']
    const mine = new Set(topics)
    const random = seededRandom(42)
    const others: Topic[] = ['room:2', 'user:bob']
    const sent: number[] = [] // the seqs this stream should receive, in order
    let seq = 0
    let emitting = true
    // The first stream joins before the first emit: everything after it is its to receive.
    let stream = await open(topics)
    const emitter = (async () => {
      while (emitting) {
        const burst = 1 + Math.floor(random() * 8)
        for (let n = 0; n < burst; n++) {
          seq += 1
          const roll = random()
          let to: Topic[] | undefined
          if (roll < 0.3) to = ['room:1']
          else if (roll < 0.45) to = ['user:ann']
          else if (roll < 0.55) to = ['room:1', 'user:ann']
          else if (roll < 0.65) to = ['room:2', 'user:ann']
          else if (roll < 0.9) to = [others[Math.floor(random() * 2)] as Topic]
          if (to === undefined) channel.emit('n', { seq })
          else channel.to(to).emit('n', { seq })
          if (to === undefined || to.some((topic) => mine.has(topic))) sent.push(seq)
        }
        await sleep(1)
      }
    })()

    const seen: number[] = []
    let lastEventId: string | undefined
    const gaps: unknown[] = []
    let cutWithEvents = 0 // rounds whose stream was cut after some events
    for (let round = 0; round < 12; round++) {
      if (round > 0) stream = await open(topics, lastEventId)
      await sleep(5 + Math.floor(random() * 40))
      stream.close() // the socket is destroyed mid-stream, maybe mid-block
      await stream.ended
      const text = stream.text()
      if (seqsIn(text).length > 0) cutWithEvents += 1
      seen.push(...seqsIn(text))
      gaps.push(...controlsIn(text, 'herald:gap'))
      lastEventId = lastIdOf(text) ?? lastEventId
    }
    emitting = false
    await emitter
    const last = await open(topics, lastEventId)
    channel.emit('done', null)
    await received(last, 'event: done')
    seen.push(...seqsIn(last.text()))
    expect(gaps).toEqual([])
    expect(sent.length).toBeGreaterThan(100)
    expect(cutWithEvents).toBeGreaterThan(8)
    expect(seen).toEqual(sent)
  }, 20_000)
})

describe('emit to topics', () => {
  it('to() refuses a topic the contract does not declare, and an empty list, with INVALID_TOPIC', async () => {
    const { channel } = await setup()
    for (const bad of ['room:042', 'chat:1', 'room:x', '', ['room:1', 'nope'], []]) {
      expect(() => channel.to(bad as never)).toThrow(expect.objectContaining({ code: 'INVALID_TOPIC' }))
    }
    // A repeated topic is one topic.
    expect(channel.to(['room:1', 'room:1', 'user:ann']).topics).toEqual(['room:1', 'user:ann'])
    expect(Object.isFrozen(channel.to('room:1').topics)).toBe(true)
  })

  it('one event to several topics has one id, and the streams of any of them receive it once', async () => {
    const { channel, open } = await setup()
    const [both, one, none] = await Promise.all([open(['room:1', 'user:ann']), open(['user:ann']), open(['room:2'])])
    const id = channel.to(['room:1', 'user:ann']).emit('n', { seq: 1 })
    channel.emit('done', null)
    for (const stream of [both, one, none]) await received(stream as ProbeStream, 'event: done')
    for (const stream of [both, one]) {
      expect(blocksIn((stream as ProbeStream).text()).filter((block) => block.event === 'n')).toEqual([
        { id, event: 'n', data: '{"seq":1}' },
      ])
    }
    expect(seqsIn((none as ProbeStream).text())).toEqual([])
  })

  it('handle() throws INVALID_TOPIC for a topic the contract does not declare, before writing a byte', async () => {
    const channel = createChannel(topicEvents, { heartbeatMs: 0 })
    defer(() => channel.close())
    const thrown: unknown[] = []
    const server = http.createServer((req, res) => {
      try {
        channel.handle(req, res, { topics: ['room:1', 'room:0'] })
      } catch (error) {
        thrown.push(error)
        res.writeHead(500).end()
      }
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    defer(() => new Promise((resolve) => server.close(resolve)))
    const response = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`)
    expect(response.status).toBe(500)
    expect(thrown).toMatchObject([{ code: 'INVALID_TOPIC', topic: 'room:0' }])
    expect(channel.size).toBe(0)
  })
})
