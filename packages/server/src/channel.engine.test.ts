// How a channel uses its engine. What every engine must do (async replays, failing replays, the
// replay/live seam, close) is in the conformance suite, run for the memory engine in
// memory-engine.test.ts.
import { defineEvents } from '@herald/schema'
import { describe, expect, it } from 'vitest'
import * as z from 'zod'
import { createChannel } from './channel.ts'
import type { ChannelEngine, Replay } from './engine.ts'
import { engineView } from './engine-view.ts'
import type { EventId } from './event-id.ts'
import { createMemoryEngine } from './memory-engine.ts'
import { eventIdsIn, openProbe, serveProbe, until } from './sse-probe.ts'
import { idsIn, openRaw, serveChannel, useCleanup } from './test-server.ts'
import type { ChannelOptions } from './types.ts'

const events = defineEvents({ n: z.number() })
const defer = useCleanup()

/** A channel on `engine`, served by Koa; both closed after the test. */
async function serve(
  engine: ChannelEngine<EventId | Promise<EventId>>,
  options: ChannelOptions<EventId | Promise<EventId>> = {},
) {
  const channel = createChannel(events, { engine, ...options })
  const server = await serveChannel(channel)
  defer(
    () => server.close(),
    () => channel.close(),
  )
  return { channel, server }
}

it('a gap with events after it: the gap block leaves the id to the replayed events, so ids never go back', async () => {
  // An engine that lost the first event after the resume point but still holds the later ones.
  const memory = createMemoryEngine()
  const engine = engineView(memory, {
    replay: (lastId) => ({ events: (memory.replay(lastId) as Replay).events.slice(1), gap: true }),
  })
  const { channel, server } = await serve(engine)
  const ids = [await channel.emit('n', 1), await channel.emit('n', 2), await channel.emit('n', 3)]
  const stream = await openRaw(server.url, { 'last-event-id': ids[0] as string })
  defer(() => stream.close())
  const text = await stream.waitFor('data: 3\n')
  const blocks = text.split('\n\n')
  const gap = blocks.findIndex((block) => block.includes('herald:gap'))
  expect(blocks.slice(gap)).toEqual([
    `event: herald:gap\ndata: {"lastEventId":"${ids[0]}"}`,
    `id: ${ids[2]}\nevent: n\ndata: 3`,
    '',
  ])
  expect(idsIn(text)).toEqual([ids[2]])
})

describe('engine settings: each in one place', () => {
  it('historySize belongs to the engine: giving both is INVALID_OPTIONS', () => {
    expect(() => createChannel(events, { engine: createMemoryEngine(), historySize: 10 })).toThrow(
      expect.objectContaining({
        code: 'INVALID_OPTIONS',
        message:
          "options 'engine' and 'historySize' cannot be used together: the engine keeps the history, so size it there",
      }),
    )
    // Without an engine, historySize still sizes the default one.
    expect(() => createChannel(events, { historySize: -1 })).toThrow(
      expect.objectContaining({
        code: 'INVALID_OPTIONS',
        message: "option 'historySize' must be a whole number ≥ 0, received -1",
      }),
    )
  })

  it('maxQueuedEvents is validated and may not be below the history an engine replays', () => {
    const engine = createMemoryEngine({ historySize: 3000 })
    expect(() => createChannel(events, { engine, maxQueuedEvents: 2999 })).toThrow(
      expect.objectContaining({ code: 'INVALID_OPTIONS', message: expect.stringContaining("'maxQueuedEvents'") }),
    )
    expect(() => createChannel(events, { maxQueuedEvents: 1.5 })).toThrow(/maxQueuedEvents/)
    expect(() => createChannel(events, { engine, maxQueuedEvents: 3000 })).not.toThrow()
  })

  it("the catch-up bound follows a custom engine's history: a full replay of 3,000 events is not cut", async () => {
    const engine = createMemoryEngine({ historySize: 3000 })
    const channel = createChannel(events, { engine })
    const server = await serveProbe(channel)
    defer(
      () => server.close(),
      () => channel.close(),
    )
    const ids: EventId[] = []
    for (let n = 0; n < 3000; n++) ids.push(channel.emit('n', n))
    const stream = await openProbe(server.url, { 'last-event-id': ids[0] as string })
    defer(() => stream.close())
    await until(
      () => eventIdsIn(stream.text()).length === 2999 || channel.size === 0,
      () => `${eventIdsIn(stream.text()).length} events`,
    )
    expect(channel.size).toBe(1)
    expect(eventIdsIn(stream.text())).toEqual(ids.slice(1))
  })
})

describe('engine ownership: a channel closes only the engine it created', () => {
  it('closing one of two channels on a shared engine leaves the other serving, and the engine open', async () => {
    const memory = createMemoryEngine()
    let engineCloses = 0
    const engine = engineView(memory, {
      close: () => {
        engineCloses += 1
        return memory.close()
      },
    })
    const { channel: first } = await serve(engine)
    const { channel: second, server } = await serve(engine)
    const stream = await openRaw(server.url)
    defer(() => stream.close())
    await stream.waitFor('herald:hello')
    await first.close()
    expect(engineCloses).toBe(0)
    // The first channel is unsubscribed: an emit on the second reaches the second's stream once.
    const id = second.emit('n', 7)
    const text = await stream.waitFor('data: 7\n')
    expect(idsIn(text)).toEqual([id])
    await second.close()
    expect(engineCloses).toBe(0) // the caller's to close
    await engine.close()
    expect(engineCloses).toBe(1)
  })
})

describe('an engine that cannot serve for a while (available: false)', () => {
  it('turns new streams away busy, keeps open ones with their heartbeats, and admits again once it can', async () => {
    const memory = createMemoryEngine()
    let available = true
    const engine: ChannelEngine<EventId> = {
      ...engineView(memory, {}),
      get lastId() {
        return memory.lastId
      },
      get available() {
        return available
      },
    }
    const { server } = await serve(engine, { heartbeatMs: 20, busyRetryMs: 1000 })
    const open = await openRaw(server.url)
    defer(() => open.close())
    await open.waitFor('herald:hello')
    available = false
    const refused = await fetch(server.url)
    expect(refused.headers.get('herald-refused')).toBe('busy')
    expect(await refused.text()).toMatch(/^retry: \d+\nevent: herald:busy\ndata: \{"retryMs":\d+\}\n\n$/)
    // The open stream stays up: it keeps getting its heartbeats.
    const before = (await open.waitFor('herald:ping')).split('herald:ping').length
    await until(
      () => open.text().split('herald:ping').length > before,
      () => 'no heartbeat while the engine was unavailable',
    )
    available = true
    const admitted = await openRaw(server.url)
    defer(() => admitted.close())
    await admitted.waitFor('herald:hello')
  })
})

describe('an engine that lost events before delivering them (onLost)', () => {
  it('ends every stream with a retry, so each resumes from its last id through replay; the channel carries on', async () => {
    const memory = createMemoryEngine()
    let lost: (() => void) | undefined
    const engine = engineView(memory, {
      subscribe: (listener, onLost) => {
        lost = onLost
        return memory.subscribe(listener)
      },
    })
    const { channel, server } = await serve(engine)
    const stream = await openRaw(server.url)
    defer(() => stream.close())
    await stream.waitFor('herald:hello')
    const id = await channel.emit('n', 1)
    await stream.waitFor('data: 1\n')
    expect(lost).toBeTypeOf('function')
    lost?.()
    await stream.ended
    expect(stream.text()).toMatch(/data: 1\n\nretry: \d+\n\n$/)
    expect(channel.size).toBe(0)
    // The client comes back with its last id: what it missed is replayed, then it is live.
    channel.emit('n', 2)
    const resumed = await openRaw(server.url, { 'last-event-id': id })
    defer(() => resumed.close())
    await resumed.waitFor('data: 2\n')
    channel.emit('n', 3)
    await resumed.waitFor('data: 3\n')
    expect(channel.size).toBe(1)
  })
})
