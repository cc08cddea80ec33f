// The engine rules that only show through a channel: the seam between a resuming stream's
// replay and the live events, failing replays, and close, checked on a real node:http server.
import { defineEvents } from '@herald/schema'
import { afterEach, expect, it } from 'vitest'
import * as z from 'zod'
import { createChannel } from './channel.ts'
import type { Replay } from './engine.ts'
import type { EngineHarness } from './engine-conformance.ts'
import { type AnyEngine, engineView } from './engine-view.ts'
import { type EventId, epochOf } from './event-id.ts'
import { eventIdsIn, openProbe, type ProbeServer, type ProbeStream, serveProbe, until } from './sse-probe.ts'
import type { Channel, ChannelOptions } from './types.ts'

const events = defineEvents({ n: z.number() })

/** `engine` with a replay that answers only once `release()` is called. */
function holdReplays(engine: AnyEngine) {
  const held: (() => void)[] = []
  const view = engineView(engine, {
    replay: (lastId) =>
      new Promise<Replay>((resolve, reject) => {
        held.push(() => void Promise.resolve(engine.replay(lastId)).then(resolve, reject))
      }),
  })
  const release = () => {
    for (const run of held.splice(0)) run()
  }
  return { engine: view, held, release }
}

export function describeChannelRules({ make, share }: EngineHarness): void {
  const cleanup: (() => unknown)[] = []
  afterEach(async () => {
    for (const fn of cleanup.splice(0).reverse()) await fn()
  })

  /** A channel on `engine`, served by node:http; both closed after the test. */
  const serve = async (engine: AnyEngine, options: ChannelOptions<EventId | Promise<EventId>> = {}) => {
    const channel = createChannel(events, { ...options, engine })
    const server: ProbeServer = await serveProbe(channel)
    cleanup.push(
      () => channel.close(),
      () => server.close(),
    )
    return { channel, server }
  }
  const open = async (server: ProbeServer, lastEventId?: string) => {
    const stream = await openProbe(server.url, lastEventId === undefined ? {} : { 'last-event-id': lastEventId })
    cleanup.push(() => stream.close())
    return stream
  }
  const waitForIds = (stream: ProbeStream, count: number) =>
    until(
      () => eventIdsIn(stream.text()).length >= count,
      () => `expected ${count} events; received ${JSON.stringify(stream.text())}`,
    )
  /** Emits `values` one by one; `spread` lets the event loop turn between two emits. */
  const emitAll = async (
    channel: Channel<typeof events, EventId | Promise<EventId>>,
    values: number[],
    spread = false,
  ) => {
    const ids: EventId[] = []
    for (const value of values) {
      ids.push(await channel.emit('n', value))
      if (spread) await new Promise(setImmediate)
    }
    return ids
  }
  const range = (from: number, to: number) => Array.from({ length: to - from }, (_, n) => from + n)

  it('channels over one shared log resume each other’s ids without a gap or a duplicate', async () => {
    const engine = await make()
    const [a, b] = [await serve(engine), await serve(await share(engine))]
    const ids = [await a.channel.emit('n', 0), await b.channel.emit('n', 1), await a.channel.emit('n', 2)]
    // Resume on b from a's first id, then on a from b's id; each then gets one more from the other.
    for (const [here, there, from] of [
      [b, a, 0],
      [a, b, 1],
    ] as const) {
      const stream = await open(here.server, ids[from])
      await waitForIds(stream, ids.length - from - 1)
      ids.push(await there.channel.emit('n', ids.length))
      await waitForIds(stream, ids.length - from - 1)
      await new Promise((resolve) => setTimeout(resolve, 50)) // a late duplicate would show by now
      expect(stream.text()).not.toContain('herald:gap')
      expect(eventIdsIn(stream.text())).toEqual(ids.slice(from + 1))
    }
  })

  it('a stream resuming with an id of another engine (a restart) gets a gap and every new event, never a skip', async () => {
    const [before, after] = [await serve(await make()), await serve(await make())]
    const old = await emitAll(before.channel, [0, 1, 2])
    const fresh = await emitAll(after.channel, range(0, 8))
    const samePosition = `${epochOf(old[0] as EventId)}-${(fresh[3] as string).slice((fresh[3] as string).indexOf('-') + 1)}`
    for (const from of [old[2] as string, samePosition]) {
      const stream = await open(after.server, from)
      await waitForIds(stream, 8)
      expect(stream.text()).toContain(`event: herald:gap\ndata: {"lastEventId":"${from}"}\n\n`)
      expect(eventIdsIn(stream.text())).toEqual(fresh)
    }
  })

  it('live events published while a replay is pending follow it, none lost, none repeated', async () => {
    const { engine, release, held } = holdReplays(await make())
    const { channel, server } = await serve(engine)
    const ids = await emitAll(channel, [0, 1, 2])
    const stream = await open(server, ids[0])
    await until(
      () => held.length === 1,
      () => 'the replay was not asked for',
    )
    const live = await emitAll(channel, [3, 4])
    release()
    await waitForIds(stream, 4)
    expect(eventIdsIn(stream.text())).toEqual([...ids.slice(1), ...live])
  })

  it('a resume racing a burst of publishes gets every event after its id once, in order', async () => {
    const { channel, server } = await serve(await make())
    const ids = await emitAll(channel, range(0, 10))
    const opening = open(server, ids[4])
    const burst = emitAll(channel, range(10, 40), true) // some before the replay, some during, some after
    const stream = await opening
    const all = [...ids, ...(await burst)]
    await waitForIds(stream, all.length - 5)
    await new Promise((resolve) => setTimeout(resolve, 50))
    expect(eventIdsIn(stream.text())).toEqual(all.slice(5))
  })

  for (const failure of ['throws', 'rejects'] as const) {
    it(`a replay that ${failure} drops only that stream; its slot is freed and other streams carry on`, async () => {
      const engine = await make()
      const failing = engineView(engine, {
        replay: () => {
          if (failure === 'throws') throw new Error('log unreachable')
          return Promise.reject(new Error('log unreachable'))
        },
      })
      const { channel, server } = await serve(failing, { maxConnections: 2 })
      const live = await open(server)
      await until(
        () => live.text().includes('herald:hello'),
        () => live.text(),
      )
      const first = await channel.emit('n', 1)
      // Dropped before or after its head went out: either way, no event reaches it.
      const dropped = await openProbe(server.url, { 'last-event-id': first }).then(
        async (stream) => {
          await stream.ended
          return stream.text()
        },
        () => '',
      )
      expect(eventIdsIn(dropped)).toEqual([])
      await until(
        () => channel.size === 1,
        () => `${channel.size} streams open`,
      )
      const second = await channel.emit('n', 2)
      await waitForIds(live, 2)
      expect(eventIdsIn(live.text())).toEqual([first, second])
      const another = await open(server) // a leaked slot would turn it away at maxConnections 2
      await until(
        () => another.text().includes('herald:hello'),
        () => another.text(),
      )
      expect(another.text()).not.toContain('herald:busy')
    })
  }

  it('close() while a replay is pending: the late replay writes nothing and nothing throws', async () => {
    const { engine, release, held } = holdReplays(await make())
    const { channel, server } = await serve(engine)
    const first = await channel.emit('n', 1)
    await channel.emit('n', 2)
    const stream = await open(server, first)
    await until(
      () => held.length === 1,
      () => 'the replay was not asked for',
    )
    await channel.close()
    release()
    await stream.ended
    await new Promise((resolve) => setTimeout(resolve, 20)) // an error on the response would surface by now
    expect(eventIdsIn(stream.text())).toEqual([])
    expect(stream.text()).toMatch(/\n\nretry: \d+\n\n$/)
  })
}
