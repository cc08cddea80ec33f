// Issue #8 (review): an engine without `historySize` may replay more than `maxQueuedEvents` (2,000
// by default). Such a replay was cut before a byte was written, not even the hello or a gap, and
// its client, resuming with the same id, was cut the same way forever (three attempts: 0 bytes
// each). A replay is now written whole, with backpressure; only the live events queued behind it
// count toward `maxQueuedEvents`.
import { defineEvents } from '@herald/schema'
import { describe, expect, it } from 'vitest'
import * as z from 'zod'
import { createChannel } from './channel.ts'
import type { ChannelEngine } from './engine.ts'
import { engineView } from './engine-view.ts'
import type { EventId } from './event-id.ts'
import { createMemoryEngine } from './memory-engine.ts'
import { openRawSocket } from './test-raw-socket.ts'
import { serveChannel, useCleanup } from './test-server.ts'

const events = defineEvents({ n: z.number() })
const defer = useCleanup()

/** An in-memory engine of 10,000 events that does not tell its `historySize`. */
function unboundedEngine(): ChannelEngine<EventId> {
  const memory = createMemoryEngine({ historySize: 10_000 })
  return engineView(memory, { historySize: undefined })
}

describe('a replay larger than maxQueuedEvents, from an engine without historySize', () => {
  it('is sent whole, then the live events, to a client that resumes from before it', async () => {
    const engine = unboundedEngine()
    const channel = createChannel(events, { engine, heartbeatMs: 0, replayBudget: 0 })
    const server = await serveChannel(channel)
    defer(
      () => engine.close(),
      () => server.close(),
      () => channel.close(),
    )
    const first = channel.emit('n', 0)
    let newest = first
    for (let n = 1; n <= 3000; n++) newest = channel.emit('n', n)
    const port = Number(new URL(server.url).port)
    let missed = 3000
    for (let attempt = 0; attempt < 2; attempt++) {
      // Twice: the same request is served the same way, never cut.
      const stream = openRawSocket(port, { headers: { 'last-event-id': first } })
      defer(() => stream.destroy())
      await stream.until((s) => s.events >= missed || s.closed, 5000)
      expect(stream.closed).toBe(false)
      expect(stream.events).toBe(missed)
      expect(stream.lastId).toBe(newest)
      expect(stream.head).toContain('event: herald:hello')
      expect(stream.head).not.toContain('herald:gap')
      // Live from there on.
      newest = channel.emit('n', -1)
      await stream.until((s) => s.lastId === newest, 2000)
      missed += 1
      expect(stream.events).toBe(missed)
      stream.destroy()
    }
  })
})
