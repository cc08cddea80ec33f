import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { defineEvents } from '@herald/schema'
import { expect, it } from 'vitest'
import * as z from 'zod'
import { createChannel } from './channel.ts'
import { type ChannelEngine, createMemoryEngine } from './engine.ts'
import type { EventId } from './event-id.ts'
import type { Replay } from './history.ts'
import { idsIn, openRaw, serveChannel, useCleanup } from './test-server.ts'
import type { ChannelOptions } from './types.ts'

const events = defineEvents({ n: z.number() })
const defer = useCleanup()

/** The memory engine with `replay` swapped for another, as a shared log over the network might answer. */
function engineWith(
  replay: (memory: ChannelEngine<EventId>, lastId: EventId) => Replay | Promise<Replay>,
): ChannelEngine<Promise<EventId>> {
  const memory = createMemoryEngine()
  return {
    publish: async (name, data) => memory.publish(name, data),
    subscribe: (listener) => memory.subscribe(listener),
    replay: (lastId) => replay(memory, lastId),
    close: () => memory.close(),
    get lastId() {
      return memory.lastId
    },
  }
}

/** An engine whose replay answers only when `release()` is called. */
function pendingReplay() {
  const pending = { release: () => {} }
  const engine = engineWith(
    (memory, lastId) =>
      new Promise<Replay>((resolve) => {
        const replay = memory.replay(lastId) as Replay
        pending.release = () => resolve(replay)
      }),
  )
  return { engine, release: () => pending.release() }
}

/** A channel on `engine`, served by Koa; both closed after the test. */
async function serve(engine: ChannelEngine<Promise<EventId>>, options: ChannelOptions<Promise<EventId>> = {}) {
  const channel = createChannel(events, { engine, ...options })
  const server = await serveChannel(channel)
  defer(
    () => server.close(),
    () => channel.close(),
  )
  return { channel, server }
}

it('merges live events that arrive during an asynchronous replay, without gaps or duplicates', async () => {
  const { engine, release } = pendingReplay()
  const { channel, server } = await serve(engine)

  const ids = [await channel.emit('n', 0), await channel.emit('n', 1), await channel.emit('n', 2)]
  const stream = await openRaw(server.url, { 'last-event-id': ids[0] as string })
  defer(() => stream.close())
  await stream.waitFor('retry:')
  // While the replay is pending, live events 3 and 4 arrive; the replay itself holds 1 and 2.
  const live = [await channel.emit('n', 3), await channel.emit('n', 4)]
  release()
  const received = await stream.waitFor('data: 4\n')
  expect(idsIn(received)).toEqual([ids[1], ids[2], ...live])
})

it('drops a stream whose replay throws at once; the slot is freed and other streams carry on', async () => {
  const engine = engineWith(() => {
    throw new Error('log unreachable')
  })
  const { channel, server } = await serve(engine, { maxConnections: 2 })
  const live = await openRaw(server.url)
  defer(() => live.close())
  await live.waitFor('herald:hello')
  const first = await channel.emit('n', 1)
  // The stream is destroyed before its head goes out: the client sees a dropped connection.
  await expect(openRaw(server.url, { 'last-event-id': first })).rejects.toThrow('fetch failed')
  await expect.poll(() => channel.size).toBe(1)
  await channel.emit('n', 2)
  await live.waitFor('data: 2\n')
  const another = await openRaw(server.url) // a leaked slot would turn it away at maxConnections 2
  defer(() => another.close())
  await another.waitFor('herald:hello')
  expect(another.text()).not.toContain('herald:busy')
})

it('a gap with events after it: the gap block leaves the id to the replayed events, so ids never go back', async () => {
  // An engine that lost the first event after the resume point but still holds the later ones.
  const engine = engineWith((memory, lastId) => ({
    events: (memory.replay(lastId) as Replay).events.slice(1),
    gap: true,
  }))
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
})

it('close() while a replay is pending: the late replay writes nothing and nothing throws, on plain node:http too', async () => {
  const { engine, release } = pendingReplay()
  const channel = createChannel(events, { engine })
  const server = http.createServer((req, res) => channel.handle(req, res))
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  defer(() => {
    server.closeAllConnections()
    return new Promise((resolve) => server.close(resolve))
  })
  const first = await channel.emit('n', 1)
  await channel.emit('n', 2)
  // fetch keeps the socket alive after the response ends, so only the response is finished.
  const stream = await openRaw(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`, {
    'last-event-id': first,
  })
  defer(() => stream.close())
  await stream.waitFor('retry:')
  await channel.close()
  release()
  await stream.ended
  await new Promise((resolve) => setTimeout(resolve, 20)) // an error on the response would surface by now
  expect(idsIn(stream.text())).toEqual([])
  expect(stream.text()).toMatch(/\n\nretry: \d+\n\n$/)
})
