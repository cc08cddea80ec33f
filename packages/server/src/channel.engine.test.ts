import { defineEvents } from '@herald/schema'
import { expect, it } from 'vitest'
import * as z from 'zod'
import { createChannel } from './channel.ts'
import { type ChannelEngine, createMemoryEngine } from './engine.ts'
import type { EventId } from './event-id.ts'
import type { Replay } from './history.ts'
import { idsIn, openRaw, serveChannel, useCleanup } from './test-server.ts'

const events = defineEvents({ n: z.number() })
const defer = useCleanup()

it('merges live events that arrive during an asynchronous replay, without gaps or duplicates', async () => {
  const memory = createMemoryEngine()
  let releaseReplay: () => void = () => {}
  // An engine whose replay answers later, as a shared log over the network would.
  const engine: ChannelEngine<Promise<EventId>> = {
    publish: async (name, data) => memory.publish(name, data),
    subscribe: (listener) => memory.subscribe(listener),
    replay: (lastId) =>
      new Promise<Replay>((resolve) => {
        const replay = memory.replay(lastId) as Replay
        releaseReplay = () => resolve(replay)
      }),
    close: () => memory.close(),
    get lastId() {
      return memory.lastId
    },
  }
  const channel = createChannel(events, { engine })
  const server = await serveChannel(channel)
  defer(
    () => server.close(),
    () => channel.close(),
  )

  const ids = [await channel.emit('n', 0), await channel.emit('n', 1), await channel.emit('n', 2)]
  const stream = await openRaw(server.url, { 'last-event-id': ids[0] as string })
  defer(() => stream.close())
  await stream.waitFor('retry:')
  // While the replay is pending, live events 3 and 4 arrive; the replay itself holds 1 and 2.
  const live = [await channel.emit('n', 3), await channel.emit('n', 4)]
  releaseReplay()
  const received = await stream.waitFor('data: 4\n')
  expect(idsIn(received)).toEqual([ids[1], ids[2], ...live])
})
