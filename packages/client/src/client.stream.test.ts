import { defineEvents } from '@herald/schema'
import { afterEach, describe, expect, it } from 'vitest'
import * as z from 'zod'
import { createClient, type HeraldError } from './index.ts'
import { cleanups, serveHerald } from './test-herald-server.ts'

// client.stream(name) against a real Herald channel. The server's contract is looser than the
// client's (any number for `age`, where the client wants an integer), so the server can send
// payloads that the client must reject. Its hello says so first: a breaking SCHEMA_MISMATCH on
// `age` (docs/drift.md), reported once, before any event.

const serverEvents = defineEvents({ name: z.string(), age: z.number() })
const events = defineEvents({ name: z.string(), age: z.number().int() })

const jobs = cleanups()
afterEach(() => jobs.run())

async function connect() {
  const server = await serveHerald(serverEvents)
  jobs.add(() => server.close())
  const client = createClient(events, server.url)
  jobs.add(() => client.close())
  const errors: HeraldError[] = []
  client.onError((error) => errors.push(error))
  await new Promise<void>((resolve) => client.onOpen(resolve))
  return { channel: server.channel, client, errors }
}

describe('client.stream()', () => {
  it('settles reads made before the last one settled, each with its own value, and all on close', async () => {
    const { channel, client } = await connect()
    const ages = client.stream('age')
    const reads = [ages.next(), ages.next()]
    channel.emit('age', 1)
    channel.emit('age', 2)
    expect(await Promise.all(reads)).toEqual([
      { done: false, value: 1 },
      { done: false, value: 2 },
    ])
    const pending = [ages.next(), ages.next()]
    client.close()
    expect(await Promise.all(pending)).toEqual([
      { done: true, value: undefined },
      { done: true, value: undefined },
    ])
  })

  it('yields decoded payloads in order to for-await, skipping invalid ones', async () => {
    const { channel, client, errors } = await connect()
    const ages: number[] = []
    const reading = (async () => {
      for await (const age of client.stream('age')) {
        ages.push(age)
        if (ages.length === 3) break
      }
    })()
    for (const age of [1, 2.5, 2, 3]) channel.emit('age', age)
    await reading
    expect(ages).toEqual([1, 2, 3])
    expect(errors.map((error) => [error.code, error.event])).toEqual([
      ['SCHEMA_MISMATCH', 'age'],
      ['DECODE_FAILED', 'age'],
    ])
  })

  it('unsubscribes on break: later events are not decoded for it, next() is done', async () => {
    const { channel, client, errors } = await connect()
    const iterator = client.stream('age')
    channel.emit('age', 1)
    const seen: number[] = []
    for await (const age of iterator) {
      seen.push(age)
      break
    }
    expect(seen).toEqual([1])
    // With no listener left for `age`, the client does not decode it, so a bad payload
    // reports nothing: the proof that break removed the iterator's listener.
    channel.emit('age', 2.5)
    const names: string[] = []
    client.on('name', (name) => names.push(name))
    channel.emit('name', 'after')
    await expect.poll(() => names).toEqual(['after'])
    expect(errors.map((error) => error.code)).toEqual(['SCHEMA_MISMATCH'])
    await expect(iterator.next()).resolves.toEqual({ done: true, value: undefined })
  })

  it('keeps one queue per iterator, so two iterators each get every value', async () => {
    const { channel, client } = await connect()
    const [a, b] = [client.stream('age'), client.stream('age')]
    channel.emit('age', 1)
    channel.emit('age', 2)
    for (const iterator of [a, b]) {
      await expect(iterator.next()).resolves.toEqual({ done: false, value: 1 })
      await expect(iterator.next()).resolves.toEqual({ done: false, value: 2 })
    }
  })

  it('ends when its abort signal fires, also while a next() is pending', async () => {
    const { channel, client } = await connect()
    const controller = new AbortController()
    const iterator = client.stream('age', { signal: controller.signal })
    channel.emit('age', 1)
    await expect(iterator.next()).resolves.toEqual({ done: false, value: 1 })
    const pending = iterator.next()
    controller.abort()
    await expect(pending).resolves.toEqual({ done: true, value: undefined })
    channel.emit('age', 2)
    await expect.poll(() => client.lastEventId).not.toBe('')
    await expect(iterator.next()).resolves.toEqual({ done: true, value: undefined })
  })

  it('ends at once for a signal that is already aborted', async () => {
    const { client } = await connect()
    const iterator = client.stream('age', { signal: AbortSignal.abort() })
    await expect(iterator.next()).resolves.toEqual({ done: true, value: undefined })
  })

  it('delivers the queued values after close(), then ends', async () => {
    const { channel, client } = await connect()
    const iterator = client.stream('age')
    const ids = [1, 2, 3].map((age) => channel.emit('age', age))
    await expect.poll(() => client.lastEventId).toBe(ids[2])
    client.close()
    const ages: number[] = []
    for await (const age of iterator) ages.push(age)
    expect(ages).toEqual([1, 2, 3])
  })

  it('ends a pending next() on close(), and a stream opened after close() at once', async () => {
    const { client } = await connect()
    const pending = client.stream('age').next()
    client.close()
    await expect(pending).resolves.toEqual({ done: true, value: undefined })
    await expect(client.stream('name').next()).resolves.toEqual({ done: true, value: undefined })
  })
})
