import { defineEvents, type Topic } from '@herald/schema'
import { describe, expect, it, type TestContext } from 'vitest'
import * as z from 'zod'
import { type ClientOptions, createClient, type HeraldError } from './index.ts'
import { cleanups, nextOpen } from './test-herald-server.ts'
import { seededRandom } from './test-seed.ts'
import { startTcpProxy } from './test-tcp-proxy.ts'
import { compareIds, serveTopicHerald, type TopicHeraldOptions, until, wait } from './test-topic-herald.ts'

// Topics end to end: Herald's client (with Herald's fetch-based EventSource, Node's) against
// Herald's channel behind real Koa on a real port. Live subscribe and unsubscribe under a steady
// stream while sockets are killed at random, the cost of a switch, per-topic gaps and refused topics.

const feed = defineEvents({ tick: z.object({ to: z.string(), n: z.int() }) }, { topics: { room: z.int().positive() } })
type Feed = typeof feed
type Room = Topic<Feed>

/** One event the server emitted: its id, its topics ([] for a broadcast), and when. */
interface Emitted {
  readonly id: string
  readonly topics: readonly Room[]
  readonly at: number
}

/** One event the client received. */
interface Received {
  readonly id: string
  readonly to: string
  /** The topics the client's stream had joined when it arrived. */
  readonly joined: readonly string[]
  readonly at: number
}

function fixtures({ onTestFinished }: TestContext) {
  const jobs = cleanups()
  onTestFinished(() => jobs.run())

  async function serve(options: TopicHeraldOptions<Feed> = {}) {
    const server = await serveTopicHerald(feed, {
      ...options,
      channel: { retryMs: 20, ...options.channel },
    })
    jobs.add(() => server.close())
    const emitted: Emitted[] = []
    let n = 0
    /** Emits one `tick` to `topics` (every stream when empty), recording its id. */
    const emit = (...topics: Room[]) => {
      const payload = { to: topics.join('+'), n: n++ }
      const id =
        topics.length === 0 ? server.channel.emit('tick', payload) : server.channel.to(topics).emit('tick', payload)
      emitted.push({ id, topics, at: performance.now() })
      return id
    }
    return { server, emitted, emit }
  }

  /** A client that records every tick (with the topics joined when it came) and every error. */
  function track(url: string, options: ClientOptions<Feed> = {}) {
    const client = createClient(feed, url, options)
    jobs.add(() => client.close())
    const received: Received[] = []
    const errors: HeraldError[] = []
    client.on('tick', ({ to }, { lastEventId }) =>
      received.push({ id: lastEventId, to, joined: client.topics, at: performance.now() }),
    )
    client.onError((error) => errors.push(error))
    return { client, received, errors }
  }

  /** A steady stream: every `everyMs`, one event from `pick`, until the returned function is called. */
  function steady(everyMs: number, pick: (i: number) => void) {
    let i = 0
    const timer = setInterval(() => pick(i++), everyMs)
    jobs.add(() => clearInterval(timer))
    return () => clearInterval(timer)
  }

  return { serve, track, steady }
}

/**
 * The ids of `topic` a client was owed: for each stretch it was subscribed, from the id it stood
 * at when the stream joining the topic answered, to the id it stood at when it unsubscribed.
 */
class Coverage {
  private readonly open = new Map<string, string>()
  private readonly stretches = new Map<string, [string, string][]>()

  /** The stream delivering an event has joined `joined`; `before` is the id the client stood at. */
  sawJoined(joined: readonly string[], before: string) {
    for (const topic of joined) if (!this.open.has(topic)) this.open.set(topic, before)
  }

  /** The client stopped asking for `topic`, standing at `at`. */
  left(topic: string, at: string) {
    const from = this.open.get(topic)
    if (from === undefined) return
    this.open.delete(topic)
    this.stretches.set(topic, [...(this.stretches.get(topic) ?? []), [from, at]])
  }

  /** Closes every open stretch at `at`. */
  end(at: string) {
    for (const topic of [...this.open.keys()]) this.left(topic, at)
  }

  /** Whether an event `id` of `topic` falls in a stretch: after its start, up to its end. */
  covers(topic: string, id: string) {
    return (this.stretches.get(topic) ?? []).some(([from, to]) => compareIds(id, from) > 0 && compareIds(id, to) <= 0)
  }
}

describe('createClient: topics against a real Herald server', () => {
  it('subscribes and unsubscribes live under a steady stream with random socket kills: every owed event once, in order', async (context) => {
    const { serve, track, steady } = fixtures(context)
    const random = seededRandom()
    const seed = `HERALD_SEED=${random.seed}`
    const { server, emitted, emit } = await serve({ sse: { authorize: () => true } })
    // Through a TCP proxy, so a cut can come from the network (RST, FIN) as well as from the server.
    const proxy = await startTcpProxy({ targetPort: Number(new URL(server.url).port) })
    context.onTestFinished(() => proxy.close())
    const { client, received, errors } = track(proxy.via(server.url), { topics: ['room:1', 'room:2'] })
    const coverage = new Coverage()
    // The listener added first runs first: each event is checked against the topics its stream joined.
    let standing = ''
    client.on('tick', (_, { lastEventId }) => {
      coverage.sawJoined(client.topics, standing)
      standing = lastEventId
    })
    await nextOpen(client)
    await until(() => client.topics.length === 2)
    standing = client.lastEventId // the hello's id: where the stream joined

    // Every 5 ms one event to rooms 1..6 in turn, or to everyone, or to two rooms at once (one event).
    const stop = steady(5, (i) => {
      const room = ((i % 6) + 1) as 1 | 2 | 3 | 4 | 5 | 6
      if (i % 7 === 3) emit()
      else if (i % 11 === 5) emit(`room:${room}`, `room:${(room % 6) + 1}` as Room)
      else emit(`room:${room}`)
    })
    const wanted = new Set<Room>()
    let kills = 0
    let switches = 0
    const until_ = performance.now() + 4000
    while (performance.now() < until_) {
      await wait(20 + random.below(80))
      const dice = random.next()
      if (dice < 0.35) {
        if (dice < 0.15) kills += server.kill()
        else {
          const cuts = proxy.open
          for (const connection of cuts) connection.cut(dice < 0.25 ? 'reset' : 'end')
          kills += cuts.length
        }
        continue
      }
      const room = `room:${3 + random.below(3)}` as Room
      switches++
      if (wanted.delete(room)) {
        coverage.left(room, client.lastEventId)
        client.unsubscribe(room)
      } else {
        wanted.add(room)
        client.subscribe(room)
      }
    }
    stop()
    const last = emit()
    await expect.poll(() => received.at(-1)?.id, { timeout: 5000 }).toBe(last)
    coverage.end(last)

    const ids = received.map((event) => event.id)
    // In order across topics, and so never twice.
    for (let i = 1; i < ids.length; i++) {
      expect(compareIds(ids[i] as string, ids[i - 1] as string), `${seed}: event ${i} out of order`).toBe(1)
    }
    // Each event arrived on a stream that had joined one of its topics (or was a broadcast).
    const topicsOf = new Map(emitted.map((event) => [event.id, event.topics]))
    for (const event of received) {
      const topics = topicsOf.get(event.id) ?? []
      expect(
        topics.length === 0 || topics.some((topic) => event.joined.includes(topic)),
        `${seed}: ${event.to} reached a stream on ${event.joined}`,
      ).toBe(true)
    }
    // Exactly the events owed: broadcasts and rooms 1, 2 all; rooms 3..5 while subscribed; room 6 never.
    const owed = emitted
      .filter(({ id, topics }) => topics.length === 0 || topics.some((topic) => coverage.covers(topic, id)))
      .map((event) => event.id)
    expect(ids, seed).toEqual(owed)
    const kept = emitted.filter(
      ({ topics }) => topics.length === 0 || topics.includes('room:1') || topics.includes('room:2'),
    )
    expect(
      kept.every(({ id }) => ids.includes(id)),
      seed,
    ).toBe(true)
    expect(
      received.some((event) => event.to === 'room:6'),
      seed,
    ).toBe(false)
    // Not a quiet run: the stream was cut and switched many times, and each loss was only the connection.
    expect(kills, seed).toBeGreaterThan(5)
    expect(switches, seed).toBeGreaterThan(10)
    expect(server.requests.length, seed).toBeGreaterThan(15)
    expect(
      errors.filter((error) => error.code !== 'CONNECTION_LOST'),
      seed,
    ).toEqual([])
    console.info(
      `[topics-e2e] ${seed}: ${emitted.length} emitted, ${received.length} received, ${kills} kills, ${switches} switches, ${server.requests.length} requests`,
    )
  }, 15_000)

  it('a subscribe costs one reconnect from the last id: measured over 20 switches, kept topics lose nothing', async (context) => {
    const { serve, track, steady } = fixtures(context)
    const { server, emitted, emit } = await serve({ sse: { authorize: () => true } })
    const { client, received, errors } = track(server.url, { topics: ['room:1', 'room:2'] })
    await nextOpen(client)
    await until(() => client.topics.length === 2)
    const stop = steady(5, (i) => emit(`room:${(i % 3) + 1}` as Room))
    const subscribeMs: number[] = []
    const unsubscribeMs: number[] = []
    const replayed: number[] = []
    for (let round = 0; round < 20; round++) {
      await wait(30)
      const requests = server.requests.length
      const from = received.length
      const started = performance.now()
      client.subscribe('room:3')
      subscribeMs.push((await until(() => client.topics.includes('room:3'))) - started)
      await until(() => received.length > from + 2)
      // One request per switch; events that arrived after subscribe() but were emitted before the
      // new request reached the server were replayed from the last id.
      expect(server.requests.length).toBe(requests + 1)
      const joinedAt = (server.requests.at(-1) as { at: number }).at
      const emittedAt = new Map(emitted.map((event) => [event.id, event.at]))
      replayed.push(received.slice(from).filter((event) => (emittedAt.get(event.id) ?? 0) < joinedAt).length)
      await wait(30)
      const left = performance.now()
      client.unsubscribe('room:3')
      unsubscribeMs.push((await until(() => !client.topics.includes('room:3'))) - left)
    }
    stop()
    const last = emit('room:1')
    await expect.poll(() => received.at(-1)?.id).toBe(last)
    // Rooms 1 and 2 were kept throughout: every one of their events arrived once, in order.
    const ids = received.map((event) => event.id)
    const kept = emitted.filter(({ topics }) => topics[0] !== 'room:3').map((event) => event.id)
    expect(ids.filter((id) => kept.includes(id))).toEqual(kept)
    expect(new Set(ids).size).toBe(ids.length)
    expect(server.requests.length).toBe(41)
    expect(errors).toEqual([])
    const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number
    const max = (values: number[]) => Math.max(...values)
    console.info(
      `[topics-e2e] subscribe→hello median ${median(subscribeMs).toFixed(2)} ms (max ${max(subscribeMs).toFixed(2)}), ` +
        `unsubscribe→hello median ${median(unsubscribeMs).toFixed(2)} ms (max ${max(unsubscribeMs).toFixed(2)}), ` +
        `events replayed per subscribe median ${median(replayed)} (max ${max(replayed)}) at one event per 5 ms`,
    )
    // A generous bound: a switch is one local reconnect, not a backoff wait (retry is 20 ms here).
    expect(median(subscribeMs)).toBeLessThan(250)
  }, 15_000)

  it('resumes a quiet topic beside a busy one: HISTORY_GAP names only the busy topic; a restart is a gap of the whole stream', async (context) => {
    const { serve, track } = fixtures(context)
    const { server, emit } = await serve({ sse: { authorize: () => true }, channel: { historySize: 5, retryMs: 20 } })
    const { client, received, errors } = track(server.url, { topics: ['room:1', 'room:2'] })
    await nextOpen(client)
    await until(() => client.topics.length === 2)
    const texts = () => received.map((event) => event.to)
    emit('room:1')
    emit('room:2')
    emit()
    await expect.poll(texts).toEqual(['room:1', 'room:2', ''])

    // Cut, then in the same turn 12 busy events (over the history of 5) and 2 quiet ones.
    expect(server.kill()).toBe(1)
    for (let i = 0; i < 12; i++) emit('room:1')
    const quiet = [emit('room:2'), emit('room:2')]
    await expect.poll(() => errors.filter((error) => error.code === 'HISTORY_GAP').length).toBe(1)
    const gap = errors.find((error) => error.code === 'HISTORY_GAP') as HeraldError
    expect(gap.topic).toBe('room:1')
    // The quiet topic's missed events, once each; none of the busy topic's, since its history no
    // longer reaches back (a partial replay would look whole).
    await expect.poll(() => received.slice(3).map((event) => event.id)).toEqual(quiet)
    emit('room:1')
    emit('room:2')
    emit()
    await expect.poll(texts).toEqual(['room:1', 'room:2', '', 'room:2', 'room:2', 'room:1', 'room:2', ''])
    expect(errors.map((error) => error.code).filter((code) => code !== 'CONNECTION_LOST')).toEqual(['HISTORY_GAP'])

    // A new channel on the same port: the client's id is of another epoch, so the whole stream has a gap.
    await server.restart()
    await expect.poll(() => errors.filter((error) => error.code === 'HISTORY_GAP').length).toBeGreaterThan(1)
    const after = errors.filter((error) => error.code === 'HISTORY_GAP').slice(1)
    expect(after.map((error) => error.topic)).toEqual([undefined])
    await until(() => client.topics.length === 2)
    emit('room:2')
    emit()
    await expect.poll(() => texts().slice(8)).toEqual(['room:2', ''])
  })

  it('refuses a forbidden topic with TOPIC_REFUSED, carries on with the allowed one, and never asks again', async (context) => {
    const { serve, track } = fixtures(context)
    const { server, emitted, emit } = await serve({
      sse: { authorize: (_, topic) => topic !== 'room:9', maxTopics: 3 },
    })
    const { client, received, errors } = track(server.url, { topics: ['room:9', 'room:1', 'room:2', 'room:3'] })
    await expect.poll(() => client.topics).toEqual(['room:1', 'room:2'])
    const refused = errors.filter((error) => error.code === 'TOPIC_REFUSED')
    // One error per refused topic, with its reason; the order they are decided in is not the contract's.
    const reasons = refused.map((error) => `${error.topic} ${/\((\w+)\)/.exec(error.message)?.[1]}`)
    expect(reasons.sort()).toEqual(['room:3 limit', 'room:9 forbidden'])
    emit('room:9')
    emit('room:3')
    emit('room:1')
    await expect.poll(() => received.map((event) => event.to)).toEqual(['room:1'])

    // Cut three times: each reconnect asks for the allowed topics only, and resumes them.
    for (let cut = 0; cut < 3; cut++) {
      const requests = server.requests.length
      server.kill()
      emit('room:9')
      emit('room:1')
      await expect.poll(() => server.requests.length).toBe(requests + 1)
    }
    await expect.poll(() => received.length).toBe(4)
    expect(server.requests.slice(1).map((request) => request.topics)).toEqual([
      ['room:1', 'room:2'],
      ['room:1', 'room:2'],
      ['room:1', 'room:2'],
    ])
    const room1 = emitted.filter(({ topics }) => topics[0] === 'room:1').map((event) => event.id)
    expect(received.map((event) => event.id)).toEqual(room1)
    expect(errors.filter((error) => error.code === 'TOPIC_REFUSED')).toHaveLength(2)
    expect(client.state).toBe('open')
  })
})
