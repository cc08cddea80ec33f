import { defineEvents } from '@herald/schema'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import * as z from 'zod'
import { createChannel } from './channel.ts'
import { useCleanup } from './test-server.ts'
import { connect } from './testing.ts'

// The testing kit under vitest's fake timers: the in-memory HTTP exchange moves on process.nextTick,
// so it needs no timer; the channel's heartbeat fires when the test advances time; the kit's own
// timeouts stay real, so a wait that can never end fails instead of hanging.

const events = defineEvents({ age: z.number() })
const defer = useCleanup()

beforeEach(() => {
  vi.useFakeTimers()
})
afterEach(() => {
  vi.useRealTimers()
})

describe('connect() under fake timers', () => {
  it('sees herald:ping once the test advances past the heartbeat, and not before', async () => {
    const channel = createChannel(events, { heartbeatMs: 15_000 }) // created under fake timers
    defer(() => channel.close())
    const stream = await connect(channel)
    expect(await stream.control('herald:hello')).toMatchObject({ heartbeatMs: 15_000 })
    await vi.advanceTimersByTimeAsync(15_000) // the first tick marks the stream idle (its hello was a write)
    await expect(stream.control('herald:ping', { timeoutMs: 20 })).rejects.toThrow(
      "control('herald:ping'): nothing within 20 ms",
    )
    await vi.advanceTimersByTimeAsync(15_000)
    expect(await stream.control('herald:ping')).toBeNull()
    channel.emit('age', 1)
    expect(await stream.next('age')).toBe(1)
  })

  it('fails a wait after real time, saying the fake timers need advancing', async () => {
    const channel = createChannel(events)
    defer(() => channel.close())
    const stream = await connect(channel, { timeoutMs: 30 })
    await expect(stream.next('age')).rejects.toThrow(
      /nothing within 30 ms; .* fake timers are on: advance them \(vi\.advanceTimersByTimeAsync\)/,
    )
  })

  it('a turn-away retry can be waited out on the fake clock', async () => {
    const channel = createChannel(events, { maxConnections: 1, busyRetryMs: 10_000 })
    defer(() => channel.close())
    const first = await connect(channel)
    const turned = await connect(channel)
    const { retryMs } = await turned.control('herald:busy')
    expect(turned.retryMs).toBe(retryMs)
    first.close()
    await vi.waitFor(() => expect(channel.size).toBe(0))
    await vi.advanceTimersByTimeAsync(retryMs)
    const again = await connect(channel, { lastEventId: turned.lastEventId })
    expect(again.headers['herald-refused']).toBeUndefined()
    expect(channel.size).toBe(1)
  })
})
