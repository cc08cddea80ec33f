import { defineEvents, text } from '@herald/schema'
import { describe, expect, it } from 'vitest'
import * as z from 'zod'
import { createChannel } from './channel.ts'
import { useCleanup } from './test-server.ts'
import { connect } from './testing.ts'
import type { ChannelOptions } from './types.ts'

// The testing kit against a channel: a real HTTP exchange in memory, decoded with the contract.

const events = defineEvents(
  { name: z.string(), age: z.number().int(), time: z.date(), note: text(z.string()) },
  { topics: { room: z.int().positive() } },
)

const defer = useCleanup()

function setup(options: ChannelOptions = {}) {
  const channel = createChannel(events, options)
  defer(() => channel.close())
  return channel
}

describe('connect(channel)', () => {
  it('resolves once the stream is open: what is emitted next arrives decoded, in order, with its id', async () => {
    const channel = setup({ retryMs: 1234 })
    const stream = await connect(channel)
    expect(channel.size).toBe(1)
    expect(stream.status).toBe(200)
    expect(stream.headers['content-type']).toBe('text/event-stream; charset=utf-8')
    expect(stream.open).toBe(true)
    expect(stream.retryMs).toBeGreaterThanOrEqual(1234)
    expect(stream.retryMs).toBeLessThan(2468)
    expect(await stream.control('herald:hello')).toMatchObject({ heartbeatMs: 15000, retryMs: stream.retryMs })
    const id = channel.emit('age', 24)
    channel.emit('time', new Date(0))
    channel.emit('note', 'two\nlines')
    expect(await stream.next('age')).toBe(24)
    expect(await stream.next()).toEqual({ name: 'time', payload: new Date(0), id: expect.any(String) })
    expect(await stream.next('note')).toBe('two\nlines')
    expect(stream.lastEventId).not.toBe(id)
    stream.close()
    expect(stream.open).toBe(false)
    await expect.poll(() => channel.size).toBe(0)
  })

  it('next(name) rejects naming the event awaited and the one that came instead, which stays next', async () => {
    const channel = setup()
    const stream = await connect(channel)
    const id = channel.emit('name', 'Ada')
    await expect(stream.next('age')).rejects.toThrow(`next('age'): the next event is 'name' (id ${id}, data: "Ada")`)
    expect(await stream.next('name')).toBe('Ada')
  })

  it('rejects after timeoutMs, saying what arrived', async () => {
    const channel = setup()
    const stream = await connect(channel, { timeoutMs: 30 })
    await expect(stream.next('age')).rejects.toThrow("next('age'): nothing within 30 ms; no event received")
    const id = channel.emit('name', 'Ada')
    await stream.next('name')
    await expect(stream.next({ timeoutMs: 20 })).rejects.toThrow(
      `next(): nothing within 20 ms; 1 event received, the last 'name' (id ${id}, data: "Ada")`,
    )
    await expect(stream.control('herald:ping')).rejects.toThrow("control('herald:ping'): nothing within 30 ms")
    await expect(stream.ended({ timeoutMs: 10 })).rejects.toThrow('ended(): nothing within 10 ms')
    await expect(stream.next({ timeoutMs: -1 })).rejects.toMatchObject({ code: 'INVALID_OPTIONS' })
  })

  it('joins the topics given, and only their events and the broadcasts arrive', async () => {
    const channel = setup()
    const stream = await connect(channel, { topics: ['room:1'] })
    expect(stream.topics).toEqual(['room:1'])
    channel.to('room:2').emit('name', 'elsewhere')
    channel.to('room:1').emit('name', 'here')
    channel.emit('age', 1) // events arrive in order: nothing of room:2 came before it
    expect(await stream.next()).toMatchObject({ name: 'name', payload: 'here' })
    expect(await stream.next('age')).toBe(1)
    await expect(connect(channel, { topics: ['room:0' as 'room:1'] })).rejects.toMatchObject({ code: 'INVALID_TOPIC' })
  })

  it('resumes from lastEventId through the catch-up, and reports a gap', async () => {
    const channel = setup({ historySize: 2 })
    const ids = [1, 2, 3, 4].map((age) => channel.emit('age', age))
    const resumed = await connect(channel, { lastEventId: ids[1] })
    expect([await resumed.next('age'), await resumed.next('age')]).toEqual([3, 4])
    expect(resumed.gaps).toEqual([])
    expect(resumed.lastEventId).toBe(ids[3])
    const behind = await connect(channel, { lastEventId: ids[0] })
    expect(await behind.control('herald:gap')).toEqual({ lastEventId: ids[0] })
    expect(behind.gaps).toEqual([{ lastEventId: ids[0] }])
    channel.emit('age', 5) // the memory engine replays nothing past a gap: the stream goes live
    expect(await behind.next('age')).toBe(5)
  })

  it('carries a replay far larger than a socket buffer, whole and in order', async () => {
    const channel = setup({ historySize: 300 })
    const ids = Array.from({ length: 300 }, (_, index) => channel.emit('name', `${index}:${'x'.repeat(1000)}`))
    const stream = await connect(channel, { lastEventId: ids[0] })
    for (let index = 1; index < 300; index++) {
      expect((await stream.next('name')).split(':')[0]).toBe(String(index))
    }
    expect(stream.lastEventId).toBe(ids[299])
  })

  it("rejects with the contract's error for an event it cannot read, then reads on", async () => {
    const channel = setup()
    const other = defineEvents({ name: z.number(), age: z.number() })
    const stream = await connect((req, res) => channel.handle(req, res), other)
    channel.emit('name', 'Ada')
    channel.emit('note', 'hi')
    channel.emit('age', 3)
    await expect(stream.next('name')).rejects.toMatchObject({ code: 'DECODE_FAILED', event: 'name' })
    await expect(stream.next()).rejects.toMatchObject({ code: 'UNKNOWN_EVENT', event: 'note' })
    expect(await stream.next('age')).toBe(3)
    // @ts-expect-error 'note' is not an event of `other`
    await expect(stream.next('note')).rejects.toThrow("next('note'): not an event of the contract")
  })

  it('sees the end of the stream: channel.close() ends it, then waits reject at once', async () => {
    const channel = setup()
    const stream = await connect(channel)
    channel.emit('age', 1)
    await channel.close()
    await stream.ended()
    expect(stream.open).toBe(false)
    expect(await stream.next('age')).toBe(1) // received before the end: still there
    await expect(stream.next()).rejects.toThrow('next(): the server ended the stream; 1 event received')
    await expect(stream.control('herald:ping')).rejects.toThrow("control('herald:ping'): the server ended the stream")
    // A closed channel turns a new stream away with a retry only: it opens ended.
    const late = await connect(channel)
    expect(late.headers['herald-refused']).toBe('closed')
    expect(late.open).toBe(false)
    expect(late.retryMs).toBeGreaterThanOrEqual(2000)
  })

  it('a stream over a connection limit gets herald:busy', async () => {
    const channel = setup({ maxConnections: 1, busyRetryMs: 500 })
    await connect(channel)
    const turned = await connect(channel)
    expect(turned.headers['herald-refused']).toBe('busy')
    expect(await turned.control('herald:busy')).toEqual({ retryMs: turned.retryMs })
    await turned.ended()
  })

  it('close() by the test rejects the waits pending', async () => {
    const channel = setup()
    const stream = await connect(channel)
    const pending = stream.next('age')
    stream.close()
    await expect(pending).rejects.toThrow("next('age'): the stream was closed by close()")
    await expect.poll(() => channel.size).toBe(0)
  })

  it('checks its arguments', async () => {
    const channel = setup()
    await expect(connect(channel, { timeoutMs: -1 })).rejects.toMatchObject({ code: 'INVALID_OPTIONS' })
    await expect(connect(() => {}, {} as typeof events)).rejects.toMatchObject({ code: 'INVALID_OPTIONS' })
    await expect(connect({} as typeof channel)).rejects.toMatchObject({ code: 'INVALID_OPTIONS' })
  })
})
