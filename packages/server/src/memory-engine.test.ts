import { defineEvents } from '@herald/schema'
import { describeEngineConformance } from '@herald/server/testing'
import { describe, expect, it } from 'vitest'
import * as z from 'zod'
import { createChannel } from './channel.ts'
import { type AnyEngine, engineView } from './engine-view.ts'
import { type EventId, epochOf } from './event-id.ts'
import { createMemoryEngine, type MemoryEngineOptions } from './memory-engine.ts'
import { eventIdsIn, openProbe, serveProbe, until } from './sse-probe.ts'
import { useCleanup } from './test-server.ts'

describeEngineConformance('memory engine', ({ historySize }) => createMemoryEngine({ historySize }))
// The same engine answering through promises, as one over the network would: the suite awaits
// every call, and the channel merges replays that resolve late.
describeEngineConformance('memory engine behind promises', ({ historySize }) => {
  const engine: AnyEngine = createMemoryEngine({ historySize })
  return engineView(engine, {
    publish: async (name, data, topics) => engine.publish(name, data, topics),
    replay: async (lastId, topics) => engine.replay(lastId, topics),
    close: async () => engine.close(),
  })
})

const events = defineEvents({ n: z.number() })
const defer = useCleanup()

describe('memory engine', () => {
  it('rejects options it cannot use with INVALID_OPTIONS, not a TypeError on the first publish', () => {
    const invalid: [options: unknown, message: string][] = [
      [null, 'createMemoryEngine() options must be an object, received null'],
      [{ historySize: -1 }, "option 'historySize' must be a whole number ≥ 0, received -1"],
      [{ historySize: 1.5 }, "option 'historySize' must be a whole number ≥ 0, received 1.5"],
      [{ historySize: '10' }, `option 'historySize' must be a whole number ≥ 0, received "10"`],
      [{ now: 5 }, "option 'now' must be a function, received 5"],
    ]
    for (const [options, message] of invalid) {
      expect(() => createMemoryEngine(options as MemoryEngineOptions)).toThrow(
        expect.objectContaining({ code: 'INVALID_OPTIONS', message }),
      )
    }
    expect(createMemoryEngine({ historySize: 0 }).historySize).toBe(0)
  })

  it('a restart on a host whose clock is 5 s behind: a returning id is a gap, then all 8 new events', async () => {
    let clock = 10_000
    // Process A issues ids at 10 000 ms; the client keeps the last one.
    const before = createChannel(events, { engine: createMemoryEngine({ now: () => clock }) })
    const old = [before.emit('n', 0), before.emit('n', 1), before.emit('n', 2)]
    await before.close()
    // Process B starts 1 s later with a clock 5 s behind, and once it reads 10 000 ms it emits 8
    // events: their positions are the very ones A issued.
    clock = 11_000
    const engine = createMemoryEngine({ now: () => clock - 5000 })
    const after = createChannel(events, { engine })
    const server = await serveProbe(after)
    defer(
      () => server.close(),
      () => after.close(),
    )
    clock = 15_000
    const fresh = Array.from({ length: 8 }, (_, n) => after.emit('n', n))
    const position = (id: string) => id.slice(id.indexOf('-') + 1)
    expect(fresh.slice(1, 4).map(position)).toEqual(old.map(position))

    // A's last id, and one of B's ids under A's epoch: the same text as B's but for the epoch.
    const resumes = [old[2] as string, `${epochOf(old[0] as EventId)}-${position(fresh[5] as string)}`]
    for (const from of resumes) {
      const stream = await openProbe(server.url, { 'last-event-id': from })
      defer(() => stream.close())
      await until(
        () => eventIdsIn(stream.text()).length === 8,
        () => stream.text(),
      )
      expect(stream.text()).toContain(`event: herald:gap\ndata: {"lastEventId":"${from}"}\n\n`)
      expect(eventIdsIn(stream.text())).toEqual(fresh)
    }
    // B's own id with no epoch, as a client of a server before epochs would send it: unknown, so
    // a gap that moves the client to B's newest id.
    const legacy = await openProbe(server.url, { 'last-event-id': position(fresh[2] as string) })
    defer(() => legacy.close())
    await until(
      () => legacy.text().includes('herald:gap'),
      () => legacy.text(),
    )
    expect(legacy.text()).toContain(`id: ${fresh[7]}\n`)
    const next = after.emit('n', 8)
    await until(
      () => eventIdsIn(legacy.text()).length === 1,
      () => legacy.text(),
    )
    expect(eventIdsIn(legacy.text())).toEqual([next])
  })

  it('two channels on one engine instance resume each other’s ids without a gap', async () => {
    const engine = createMemoryEngine()
    const [a, b] = [createChannel(events, { engine }), createChannel(events, { engine })]
    const [serverA, serverB] = [await serveProbe(a), await serveProbe(b)]
    defer(
      () => serverA.close(),
      () => serverB.close(),
      () => a.close(),
    )
    const ids = [a.emit('n', 0), b.emit('n', 1), a.emit('n', 2), b.emit('n', 3)]
    for (const [server, from, expected] of [
      [serverB, ids[0], ids.slice(1)],
      [serverA, ids[1], ids.slice(2)],
    ] as const) {
      const stream = await openProbe(server.url, { 'last-event-id': from as string })
      defer(() => stream.close())
      await until(
        () => eventIdsIn(stream.text()).length === expected.length,
        () => stream.text(),
      )
      expect(stream.text()).not.toContain('herald:gap')
      expect(eventIdsIn(stream.text())).toEqual(expected)
    }
  })
})
