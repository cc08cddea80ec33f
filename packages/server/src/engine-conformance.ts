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

  it('answers a gap with no events for ids of its epoch it never issued, and once an id is trimmed', async () => {
    const engine = await make(10)
    const origin = engine.lastId
    const ids = await publishMany(engine, 250)
    const [first, ms] = [ids[0] as EventId, position(ids[0] as string).split('-')[0]]
    const never = [`${engine.epoch}-${ms}-999999`, `${engine.epoch}-1-0`, `${engine.epoch}-99999999999999999999-0`]
    for (const id of [first, origin, ...never] as EventId[]) {
      expect(await engine.replay(id), id).toEqual({ events: [], gap: true })
    }
    const recent = await engine.replay(ids[248] as EventId)
    expect(recent).toEqual({ gap: false, events: [{ id: ids[249], name: 'n', data: '249' }] })
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
