import { afterEach, describe, expect, it } from 'vitest'
import type { StoredEvent } from './engine.ts'
import { describeChannelRules } from './engine-conformance-channel.ts'
import { type AnyEngine, engineView, publishMany } from './engine-view.ts'
import { compareEventIds, type EventId, epochOf, isEpoch, parseEventId } from './event-id.ts'

/**
 * Makes an engine over a new, empty stored log that keeps `historySize` recent events (a shared
 * log may keep a few more, but must have dropped an event `historySize + 240` publishes back).
 */
export type EngineFactory = (options: { historySize: number }) => AnyEngine | Promise<AnyEngine>

/** Options of `describeEngineConformance`. */
export interface EngineConformanceOptions {
  /**
   * Opens another engine over the same stored log as `engine`, as a second process sharing it
   * would. @default the same instance, shared by two channels
   */
  share?: ((engine: AnyEngine) => AnyEngine | Promise<AnyEngine>) | undefined
}

export type { AnyEngine }

/** What the rules get: engines that are closed after each test, however the test ends. */
export interface EngineHarness {
  make(historySize?: number): Promise<AnyEngine>
  share(engine: AnyEngine): Promise<AnyEngine>
}

/**
 * Registers, with vitest, the tests every `ChannelEngine` must pass: ids of the engine's epoch in
 * publish order, replay from the origin and from every kept id, a gap (never a skip) for ids that
 * are unknown, trimmed, of another engine or of none, resume across a shared log, and, through a
 * real channel and node:http server, the replay/live seam, failing replays and close.
 */
export function describeEngineConformance(
  name: string,
  makeEngine: EngineFactory,
  options: EngineConformanceOptions = {},
): void {
  describe(`${name}: engine conformance`, () => {
    const opened: (() => unknown)[] = []
    afterEach(async () => {
      for (const close of opened.splice(0).reverse()) await close()
    })
    // Each engine is closed once, by whichever comes first: its channel or the cleanup.
    const track = (engine: AnyEngine): AnyEngine => {
      let closing: void | Promise<void> | undefined
      let closed = false
      const close = () => {
        if (!closed) closing = engine.close()
        closed = true
        return closing
      }
      const tracked = engineView(engine, { close })
      raw.set(tracked, engine)
      opened.push(() => tracked.close())
      return tracked
    }
    const raw = new WeakMap<AnyEngine, AnyEngine>()
    const harness: EngineHarness = {
      make: async (historySize = 100) => track(await makeEngine({ historySize })),
      async share(engine) {
        const original = raw.get(engine) ?? engine
        const shared = options.share === undefined ? original : await options.share(original)
        // The same instance: its first owner closes it.
        return shared === original ? engineView(original, { close: () => {} }) : track(shared)
      },
    }
    describeEngineRules(harness)
    describeChannelRules(harness)
  })
}

const position = (id: string) => id.slice(id.indexOf('-') + 1)
const idsOf = (events: readonly StoredEvent[]) => events.map((event) => event.id)

function describeEngineRules({ make, share }: EngineHarness): void {
  it('issues ids of its epoch, strictly increasing in publish order, and delivers them in that order', async () => {
    const engine = await make()
    expect(isEpoch(engine.epoch)).toBe(true)
    const origin = engine.lastId
    expect(parseEventId(origin)).toBe(origin)
    expect(epochOf(origin)).toBe(engine.epoch)
    const received: StoredEvent[] = []
    const off = engine.subscribe((event) => received.push(event))
    const ids = await publishMany(engine, 30)
    let previous = origin
    for (const id of ids) {
      expect(parseEventId(id)).toBe(id)
      expect(epochOf(id)).toBe(engine.epoch)
      expect(compareEventIds(previous, id)).toBeLessThan(0)
      previous = id
    }
    expect(engine.lastId).toBe(ids.at(-1))
    await expect.poll(() => received.length, { timeout: 5000, interval: 5 }).toBe(30)
    expect(received).toEqual(ids.map((id, n) => ({ id, name: 'n', data: String(n) })))
    off()
  })

  it('replays from the origin and from every kept id, with no gap', async () => {
    const engine = await make()
    const origin = engine.lastId
    expect(await engine.replay(origin)).toEqual({ events: [], gap: false })
    const ids = await publishMany(engine, 10)
    const all = await engine.replay(origin)
    expect(all).toEqual({ gap: false, events: ids.map((id, n) => ({ id, name: 'n', data: String(n) })) })
    for (const [index, id] of ids.entries()) {
      const replay = await engine.replay(id)
      expect(replay.gap).toBe(false)
      expect(idsOf(replay.events)).toEqual(ids.slice(index + 1))
    }
  })

  it('answers a gap with no events for ids of its epoch out of its range, and once an id is trimmed', async () => {
    const engine = await make(10)
    const origin = engine.lastId
    const ids = await publishMany(engine, 250)
    const last = position(ids[249] as string).split('-')
    const never = [
      `${engine.epoch}-1-0`,
      `${engine.epoch}-${last[0]}-${Number(last[1]) + 1}`,
      `${engine.epoch}-99999999999999999999-0`,
    ]
    for (const id of never as EventId[]) expect(await engine.replay(id), id).toEqual({ events: [], gap: true })
    for (const id of [ids[0], origin] as EventId[])
      expect(await engine.replay(id), id).toEqual({ events: [], gap: true })
    const recent = await engine.replay(ids[248] as EventId)
    expect(recent).toEqual({ gap: false, events: [{ id: ids[249], name: 'n', data: '249' }] })
  })

  it('an id is a position in its log: one between two events replays the later, with no gap', async () => {
    const engine = await make()
    const ids = await publishMany(engine, 3)
    const [ms, seq] = position(ids[1] as string).split('-')
    // Just after the second event and before the third: the same millisecond, a later sequence.
    const between = `${engine.epoch}-${ms}-${Number(seq) + 1}` as EventId
    if (compareEventIds(between, ids[2] as EventId) >= 0) return // the third event took that very position
    expect(await engine.replay(between)).toEqual({ gap: false, events: [{ id: ids[2], name: 'n', data: '2' }] })
  })

  it("answers a gap for another engine's ids and for ids of no epoch, even at a position it issued", async () => {
    const [before, after] = [await make(), await make()]
    expect(after.epoch).not.toBe(before.epoch)
    const old = await publishMany(before, 3)
    const fresh = await publishMany(after, 8)
    const everything = { gap: true, events: fresh.map((id, n) => ({ id, name: 'n', data: String(n) })) }
    // An id of another epoch: nothing of this log was seen, so all of it follows the gap.
    for (const id of [...old, `${before.epoch}-${position(fresh[3] as string)}`] as EventId[]) {
      expect(await after.replay(id), id).toEqual(everything)
    }
    // An id of no epoch is unknown: a gap, nothing replayed.
    expect(await after.replay(position(fresh[3] as string) as EventId)).toEqual({ events: [], gap: true })
  })

  it('an id of another epoch gets a gap and no events once the start of this log is trimmed', async () => {
    const [before, after] = [await make(), await make(10)]
    const old = await publishMany(before, 1)
    await publishMany(after, 250)
    expect(await after.replay(old[0] as EventId)).toEqual({ events: [], gap: true })
  })

  it('shares its log: another engine over it has the same epoch and resumes its ids', async () => {
    const engine = await make()
    const other = await share(engine)
    expect(other.epoch).toBe(engine.epoch)
    const ids = await publishMany(engine, 3)
    const more = await publishMany(other, 2, 3)
    const all = [...ids, ...more]
    for (const [index, id] of all.entries()) {
      const [mine, theirs] = [await engine.replay(id), await other.replay(id)]
      expect(mine).toEqual(theirs)
      expect(mine.gap).toBe(false)
      expect(idsOf(mine.events)).toEqual(all.slice(index + 1))
    }
  })

  it('delivers topic events with their topics, and replays the broadcasts and the topics asked for, each once', async () => {
    const engine = await make()
    const origin = engine.lastId
    const received: StoredEvent[] = []
    const off = engine.subscribe((event) => received.push(event))
    const sent: [string, readonly string[] | undefined][] = [
      ['a', ['room:1']],
      ['b', undefined],
      ['c', ['room:2']],
      ['d', ['room:1', 'room:2']],
      ['e', ['user:7']],
    ]
    const ids: EventId[] = []
    for (const [data, topics] of sent) ids.push(await engine.publish('n', data, topics))
    await expect.poll(() => received.length, { timeout: 5000, interval: 5 }).toBe(5)
    expect(received.map((event) => [event.data, event.topics])).toEqual(sent)
    const dataOf = (replay: { events: readonly StoredEvent[] }) => replay.events.map((event) => event.data)
    expect(dataOf(await engine.replay(origin))).toEqual(['b'])
    const rooms = await engine.replay(origin, ['room:1', 'room:2'])
    expect(dataOf(rooms)).toEqual(['a', 'b', 'c', 'd'])
    expect(rooms.gap).toBe(false)
    expect(rooms.topicGaps ?? []).toEqual([])
    expect(dataOf(await engine.replay(ids[1] as EventId, ['user:7', 'room:2']))).toEqual(['c', 'd', 'e'])
    expect(dataOf(await engine.replay(ids[4] as EventId, ['room:1']))).toEqual([])
    off()
  })

  it('keeps history per topic: a busy topic never pushes a quiet one out, and a trimmed topic is named', async () => {
    const engine = await make(10)
    const origin = engine.lastId
    const quiet = await engine.publish('n', 'quiet', ['room:quiet'])
    for (let n = 0; n < 50; n++) await engine.publish('n', String(n), ['room:busy'])
    const replay = await engine.replay(origin, ['room:quiet', 'room:busy'])
    expect(replay.gap).toBe(false)
    expect(replay.topicGaps).toEqual(['room:busy'])
    // The quiet topic's event, and none of the busy one's: never a partial replay of a topic.
    expect(replay.events.map((event) => event.id)).toEqual([quiet])
    expect((await engine.replay(quiet, ['room:quiet'])).topicGaps ?? []).toEqual([])
  })

  it('delivers nothing after close', async () => {
    const engine = await make()
    const received: StoredEvent[] = []
    engine.subscribe((event) => received.push(event))
    await engine.close()
    try {
      await engine.publish('n', 'late')
    } catch {
      // an engine may refuse to publish once closed
    }
    await new Promise((resolve) => setTimeout(resolve, 50))
    expect(received).toEqual([])
  })
}
