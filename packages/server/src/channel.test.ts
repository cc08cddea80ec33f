import { defineEvents, fingerprintOf, isHeraldError, text } from '@herald/schema'
import { describe, expect, it } from 'vitest'
import * as z from 'zod'
import { createChannel } from './channel.ts'
import { idsIn, openRaw, type RawStream, serveChannel, type TestServer, useCleanup } from './test-server.ts'
import type { ChannelOptions } from './types.ts'

const events = defineEvents({ name: z.string(), age: z.number().int(), time: z.date(), note: text(z.string()) })

const defer = useCleanup()

async function setup(options: Parameters<typeof createChannel>[1] = {}) {
  const channel = createChannel(events, options)
  const server: TestServer = await serveChannel(channel)
  defer(
    () => server.close(),
    () => channel.close(),
  )
  const open = async (headers?: Record<string, string>): Promise<RawStream> => {
    const stream = await openRaw(server.url, headers)
    defer(() => stream.close())
    await stream.waitFor('retry:')
    return stream
  }
  return { channel, server, open }
}

describe('channel over Koa', () => {
  it('answers with the SSE headers and an opening block', async () => {
    const { open } = await setup({ retryMs: 1234 })
    const stream = await open()
    expect(stream.response.status).toBe(200)
    expect(stream.response.headers.get('content-type')).toBe('text/event-stream; charset=utf-8')
    expect(stream.response.headers.get('cache-control')).toBe('no-cache, no-transform')
    expect(stream.response.headers.get('x-accel-buffering')).toBe('no')
    expect(stream.response.headers.get('connection')).toBe('keep-alive')
    // Each stream's retry: is jittered over [retryMs, 2·retryMs); the hello repeats it, then
    // carries the contract's fingerprint (docs/drift.md).
    const schema = JSON.stringify(fingerprintOf(events)).replace(/[{}[\]]/g, '\\$&')
    const opening = new RegExp(
      `^: herald\nretry: (\\d+)\nid: [A-Za-z0-9]+-\\d+-\\d+\nevent: herald:hello\ndata: \\{"heartbeatMs":15000,"retryMs":(\\d+),"schema":${schema}\\}\n\n$`,
    ).exec(stream.text())
    expect(opening, stream.text()).not.toBeNull()
    const retry = Number(opening?.[1])
    expect(Number(opening?.[2])).toBe(retry)
    expect(retry).toBeGreaterThanOrEqual(1234)
    expect(retry).toBeLessThan(2468)
  })

  it('writes each emit to every stream with increasing ids', async () => {
    const { channel, open } = await setup()
    const [a, b] = [await open(), await open()]
    expect(channel.size).toBe(2)
    const first = channel.emit('age', 24)
    const second = channel.emit('time', new Date(0))
    channel.emit('note', 'two\nlines')
    for (const stream of [a, b]) {
      const received = await stream.waitFor('data: lines\n\n')
      expect(received).toContain(`id: ${first}\nevent: age\ndata: 24\n\n`)
      expect(received).toContain(`id: ${second}\nevent: time\ndata: "1970-01-01T00:00:00.000Z"\n\n`)
      expect(received).toContain('event: note\ndata: two\ndata: lines\n\n')
      expect(idsIn(received)).toHaveLength(3)
    }
  })

  it('rejects a bad payload with a typed error and sends nothing', async () => {
    const { channel, open } = await setup()
    const stream = await open()
    let caught: unknown
    try {
      channel.emit('age', '24' as unknown as number)
    } catch (error) {
      caught = error
    }
    expect(isHeraldError(caught) && caught.code).toBe('INVALID_PAYLOAD')
    expect((caught as Error).message).toBe("event 'age': expected number, received string")
    expect(() => channel.emit('agee' as 'age', 1)).toThrow(expect.objectContaining({ code: 'UNKNOWN_EVENT' }))
    channel.emit('name', 'after')
    const received = await stream.waitFor('"after"')
    expect(idsIn(received)).toHaveLength(1)
  })

  it('replays what a client missed after its Last-Event-ID, then goes live', async () => {
    const { channel, open } = await setup()
    const ids = [1, 2, 3, 4].map((age) => channel.emit('age', age))
    const resumed = await open({ 'last-event-id': ids[1] as string })
    channel.emit('age', 5)
    const received = await resumed.waitFor('data: 5\n')
    expect(idsIn(received)).toEqual([ids[2], ids[3], expect.any(String)])
    expect(received.match(/data: \d/g)).toEqual(['data: 3', 'data: 4', 'data: 5'])
  })

  it('reads lastEventId from the query string when there is no header', async () => {
    const { channel, server } = await setup()
    const ids = [1, 2, 3].map((age) => channel.emit('age', age))
    const stream = await openRaw(`${server.url}?lastEventId=${ids[0]}`)
    defer(() => stream.close())
    const received = await stream.waitFor('data: 3\n')
    expect(idsIn(received)).toEqual([ids[1], ids[2]])
  })

  it('answers a malformed Last-Event-ID with a gap event, then goes live', async () => {
    const { channel, open } = await setup()
    channel.emit('age', 1)
    const stream = await open({ 'last-event-id': `${'x'.repeat(4096)}"},"event: admin` })
    channel.emit('age', 2)
    const received = await stream.waitFor('data: 2\n')
    expect(received).not.toContain('data: 1\n')
    expect(received).not.toMatch(/^event: admin/m)
    expect(received).toContain(`event: herald:gap\ndata: {"lastEventId":"${'x'.repeat(64)}"}\n\n`)
  })

  it('sends heartbeats to idle streams', async () => {
    const { channel, open } = await setup({ heartbeatMs: 40 })
    const stream = await open()
    await stream.waitFor('event: herald:ping\ndata:\n\n', 1000)
    expect(channel.size).toBe(1)
  })

  it('forgets a stream the moment its client goes away', async () => {
    const { channel, open } = await setup()
    const stream = await open()
    expect(channel.size).toBe(1)
    stream.close()
    await expect.poll(() => channel.size).toBe(0)
    channel.emit('age', 1) // writing to nobody is fine
  })

  it('close() ends every stream; later requests end at once and emits throw', async () => {
    const { channel, open, server } = await setup()
    const streams = [await open(), await open()]
    await channel.close()
    await Promise.all(streams.map((stream) => stream.ended))
    expect(channel.size).toBe(0)
    expect(channel.closed).toBe(true)
    for (const stream of streams) expect(stream.text()).toMatch(/\nretry: \d+\n\n$/)
    const late = await openRaw(server.url)
    await late.ended
    const retry = Number(/^retry: (\d+)\n\n$/.exec(late.text())?.[1])
    expect(retry).toBeGreaterThanOrEqual(2000)
    expect(retry).toBeLessThanOrEqual(4000)
    expect(() => channel.emit('age', 1)).toThrow(expect.objectContaining({ code: 'CHANNEL_CLOSED' }))
  })

  it('validates its options', () => {
    expect(() => createChannel(events, { heartbeatMs: -1 })).toThrow(
      expect.objectContaining({ code: 'INVALID_OPTIONS' }),
    )
    expect(() => createChannel(events, { retryMs: 1.5 })).toThrow(/retryMs/)
    expect(() => createChannel({} as typeof events)).toThrow(expect.objectContaining({ code: 'INVALID_OPTIONS' }))
    const invalid: [options: unknown, message: string][] = [
      [null, 'createChannel() options must be an object, received null'],
      [
        { heartbeatMs: 2 ** 31 },
        "option 'heartbeatMs' must be a whole number from 0 to 2147483647, received 2147483648",
      ],
      [{ retryMs: 2 ** 30 }, "option 'retryMs' must be a whole number from 0 to 1073741823, received 1073741824"],
      [{ busyRetryMs: '10' }, `option 'busyRetryMs' must be a whole number from 0 to 1073741823, received "10"`],
      [
        { maxConnections: Number.POSITIVE_INFINITY },
        "option 'maxConnections' must be a whole number ≥ 0, received Infinity",
      ],
      [{ clientKey: 'ip' }, `option 'clientKey' must be a function, received "ip"`],
      [
        { engine: {} },
        "option 'engine' must be a ChannelEngine: publish, subscribe, replay and close functions, a lastId and an epoch",
      ],
    ]
    for (const [options, message] of invalid) {
      expect(() => createChannel(events, options as ChannelOptions)).toThrow(
        expect.objectContaining({ code: 'INVALID_OPTIONS', message }),
      )
    }
  })
})
