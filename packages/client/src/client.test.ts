import { defineEvents, text } from '@herald/schema'
import { afterEach, describe, expect, it } from 'vitest'
import * as z from 'zod'
import { type ClientOptions, createClient, type HeraldClient, type HeraldError } from './index.ts'
import { cleanups, nextOpen, serveHerald } from './test-herald-server.ts'
import { serveTopicHerald } from './test-topic-herald.ts'

// The client in Node against a real Herald channel served by Koa: Node 20 has no global
// EventSource, so the client picks HeraldEventSource by itself.

const isoDate = z.codec(z.iso.datetime(), z.date(), {
  decode: (iso) => new Date(iso),
  encode: (date) => date.toISOString(),
})

const events = defineEvents({
  name: z.string(),
  age: z.number().int(),
  time: z.date(),
  balance: z.bigint(),
  scores: z.map(z.string(), z.number()),
  log: z.object({ at: z.date(), entries: z.array(z.object({ at: z.date(), note: z.string() })) }),
  at: isoDate,
  note: text(z.string()),
})

const jobs = cleanups()
afterEach(() => jobs.run())

/** Serves `events`, connects a client, runs `setup` on it before it opens, and waits for `open`. */
async function connect(options: ClientOptions = {}, setup?: (client: HeraldClient<typeof events>) => void) {
  const server = await serveHerald(events)
  jobs.add(() => server.close())
  const client = createClient(events, server.url, options)
  jobs.add(() => client.close())
  const errors: HeraldError[] = []
  client.onError((error) => errors.push(error))
  setup?.(client)
  await nextOpen(client)
  return { server, channel: server.channel, client, errors }
}

describe('createClient: typed delivery', () => {
  it('delivers name, age and time decoded, a Date as a Date, with the event meta', async () => {
    const { channel, client, errors } = await connect()
    const received: unknown[][] = []
    client.on('name', (name, meta) => received.push([meta.name, name, meta.lastEventId]))
    client.on('age', (age, meta) => received.push([meta.name, age, meta.lastEventId]))
    client.on('time', (time, meta) => received.push([meta.name, time, meta.lastEventId]))
    const ids = [channel.emit('name', 'Alice'), channel.emit('age', 24), channel.emit('time', new Date(0))]
    await expect.poll(() => received).toHaveLength(3)
    expect(received).toEqual([
      ['name', 'Alice', ids[0]],
      ['age', 24, ids[1]],
      ['time', new Date(0), ids[2]],
    ])
    expect(received[2]?.[1]).toBeInstanceOf(Date)
    expect(errors).toEqual([])
  })

  it('round-trips codecs: bigint, Map, nested dates and a zod codec', async () => {
    const { channel, client, errors } = await connect()
    const received = new Map<string, unknown>()
    for (const name of ['balance', 'scores', 'log', 'at'] as const)
      client.on(name, (value) => received.set(name, value))
    const log = { at: new Date(1000), entries: [{ at: new Date(2000), note: 'a' }] }
    channel.emit('balance', 2n ** 70n)
    channel.emit('scores', new Map([['ann', 3]]))
    channel.emit('log', log)
    channel.emit('at', new Date(3000))
    await expect.poll(() => received.size).toBe(4)
    expect(received.get('balance')).toBe(2n ** 70n)
    expect(received.get('scores')).toEqual(new Map([['ann', 3]]))
    expect(received.get('log')).toEqual(log)
    expect((received.get('log') as typeof log).entries[0]?.at).toBeInstanceOf(Date)
    expect(received.get('at')).toEqual(new Date(3000))
    expect(errors).toEqual([])
  })

  it('delivers text() events as plain text, line breaks included', async () => {
    const { channel, client } = await connect()
    const notes: string[] = []
    client.on('note', (note) => notes.push(note))
    channel.emit('note', 'plain "text", not JSON')
    channel.emit('note', 'two\nlines')
    await expect.poll(() => notes).toEqual(['plain "text", not JSON', 'two\nlines'])
  })

  it('tracks the server ids in lastEventId, also for events nobody listens to', async () => {
    const { channel, client } = await connect()
    expect(client.lastEventId).toBe('')
    const ages: number[] = []
    client.on('age', (age) => ages.push(age))
    const first = channel.emit('age', 1)
    await expect.poll(() => client.lastEventId).toBe(first)
    const unheard = channel.emit('name', 'nobody listens')
    await expect.poll(() => client.lastEventId).toBe(unheard)
    expect(ages).toEqual([1])
  })
})

describe('createClient: listeners', () => {
  it('once() fires for the next event only', async () => {
    const { channel, client } = await connect()
    const once: number[] = []
    const all: number[] = []
    client.once('age', (age) => once.push(age))
    client.on('age', (age) => all.push(age))
    for (const age of [1, 2, 3]) channel.emit('age', age)
    await expect.poll(() => all).toEqual([1, 2, 3])
    expect(once).toEqual([1])
  })

  it('off() and the function returned by on() or once() remove a listener; others keep running', async () => {
    const { channel, client } = await connect()
    const [kept, byOff, byReturn, onceRemoved]: [number[], number[], number[], number[]] = [[], [], [], []]
    const offListener = (age: number) => byOff.push(age)
    client.on('age', (age) => kept.push(age))
    client.on('age', offListener)
    const unsubscribe = client.on('age', (age) => byReturn.push(age))
    const cancelOnce = client.once('age', (age) => onceRemoved.push(age))
    client.off('age', offListener)
    unsubscribe()
    cancelOnce()
    channel.emit('age', 1)
    channel.emit('age', 2)
    await expect.poll(() => kept).toEqual([1, 2])
    expect([byOff, byReturn, onceRemoved]).toEqual([[], [], []])
  })

  it('off() removes a listener added with once()', async () => {
    const { channel, client } = await connect()
    const [kept, removed]: [number[], number[]] = [[], []]
    const listener = (age: number) => removed.push(age)
    client.once('age', listener)
    client.off('age', listener)
    client.on('age', (age) => kept.push(age))
    channel.emit('age', 1)
    await expect.poll(() => kept).toEqual([1])
    expect(removed).toEqual([])
  })

  it('reports a throwing listener as LISTENER_FAILED; other listeners and events still run', async () => {
    const { channel, client, errors } = await connect()
    const boom = new Error('boom')
    const received: unknown[] = []
    client.on('age', () => {
      throw boom
    })
    client.on('age', (age) => received.push(age))
    client.on('name', (name) => received.push(name))
    channel.emit('age', 24)
    channel.emit('name', 'after')
    await expect.poll(() => received).toEqual([24, 'after'])
    expect(errors).toHaveLength(1)
    expect(errors[0]).toMatchObject({ code: 'LISTENER_FAILED', event: 'age', cause: boom })
  })

  it('off() from a listener stops the listeners after it at once, as EventTarget does', async () => {
    const { channel, client } = await connect()
    const calls: string[] = []
    const second = (age: number) => calls.push(`second ${age}`)
    client.on('age', (age) => {
      calls.push(`first ${age}`)
      client.off('age', second)
    })
    client.on('age', second)
    channel.emit('age', 1)
    channel.emit('age', 2)
    await expect.poll(() => calls).toEqual(['first 1', 'first 2'])
  })

  it('reports a listener that throws a value with no string form; the other listeners still run', async () => {
    const { channel, client, errors } = await connect()
    const unprintable: unknown = Object.create(null)
    const received: number[] = []
    client.on('age', () => {
      throw unprintable
    })
    client.on('age', (age) => received.push(age))
    channel.emit('age', 1)
    channel.emit('age', 2)
    await expect.poll(() => received).toEqual([1, 2])
    expect(errors.map((error) => [error.code, error.message, error.cause === unprintable])).toEqual([
      ['LISTENER_FAILED', "event 'age': a listener threw: a value with no string form", true],
      ['LISTENER_FAILED', "event 'age': a listener threw: a value with no string form", true],
    ])
  })

  it('throws UNKNOWN_EVENT for a name outside the contract', async () => {
    const { client } = await connect()
    const unknown = 'agee' as 'age'
    const error = { code: 'UNKNOWN_EVENT', event: 'agee' }
    expect(() => client.on(unknown, () => {})).toThrow(expect.objectContaining(error))
    expect(() => client.once(unknown, () => {})).toThrow(expect.objectContaining(error))
    expect(() => client.stream(unknown)).toThrow(expect.objectContaining(error))
  })
})

describe('createClient: lifecycle', () => {
  it('goes connecting, open, closed, calling onOpen once and no hook after close()', async () => {
    const server = await serveHerald(events)
    jobs.add(() => server.close())
    const client = createClient(events, server.url)
    jobs.add(() => client.close())
    const states = [client.state]
    const calls: string[] = []
    client.onState((state) => states.push(state))
    client.onOpen(() => calls.push('open'))
    client.onError((error) => calls.push(error.code))
    await expect.poll(() => client.state).toBe('open')
    expect(calls).toEqual(['open'])
    client.close()
    client.close()
    expect(client.state).toBe('closed')
    await server.close()
    expect(states).toEqual(['connecting', 'open', 'closed'])
    expect(calls).toEqual(['open'])
  })

  it('close() before the connection code has loaded: no request, closed at once, iterators end', async () => {
    const server = await serveHerald(events)
    jobs.add(() => server.close())
    const client = createClient(events, server.url)
    const states = [client.state]
    client.onState((state) => states.push(state))
    const errors: HeraldError[] = []
    client.onError((error) => errors.push(error))
    const ages = client.stream('age')
    client.close()
    expect(client.state).toBe('closed')
    await expect(ages.next()).resolves.toEqual({ done: true, value: undefined })
    // Long enough for the module to load and, were the client not closed, connect.
    await new Promise((resolve) => setTimeout(resolve, 200))
    expect(server.requests).toEqual([])
    expect(states).toEqual(['connecting', 'closed'])
    expect(errors).toEqual([])
  })

  it('subscribe() and on() before the connection code has loaded shape the first connection', async () => {
    const topical = defineEvents({ seq: z.number() }, { topics: { room: z.string() } })
    const server = await serveTopicHerald(topical, { sse: { authorize: () => true } })
    jobs.add(() => server.close())
    const client = createClient(topical, server.url, { topics: ['room:a'] })
    jobs.add(() => client.close())
    client.subscribe('room:b')
    client.unsubscribe('room:a')
    const seqs: number[] = []
    client.on('seq', (seq) => seqs.push(seq))
    await nextOpen(client)
    // One connection, already asking for what was asked for before it opened.
    expect(server.requests.map((request) => request.topics)).toEqual([['room:b']])
    await expect.poll(() => client.topics).toEqual(['room:b'])
    server.channel.to('room:b').emit('seq', 1)
    await expect.poll(() => seqs).toEqual([1])
  })

  it.each([
    ['at once', {}],
    ['after the ticket function', { ticket: () => 'a-ticket' }],
  ])(
    'reports an EventSource that throws (%s) as CONNECTION_FAILED, without the credentials, and closes',
    async (_, extra) => {
      const opened: string[] = []
      class Throwing extends EventTarget {
        constructor(url: string) {
          super()
          opened.push(url)
          throw new Error(`cannot open ${url}`)
        }
      }
      const client = createClient(events, 'http://127.0.0.1:1/events?token=s3cr3t-value', {
        EventSource: Throwing as unknown as NonNullable<ClientOptions['EventSource']>,
        ...extra,
      })
      const errors: HeraldError[] = []
      client.onError((error) => errors.push(error))
      await expect.poll(() => client.state).toBe('closed')
      expect(opened).toHaveLength(1)
      expect(errors).toHaveLength(1)
      expect(errors[0]?.code).toBe('CONNECTION_FAILED')
      expect(errors[0]?.message).toMatch(
        /^http:\/\/127\.0\.0\.1:1\/events\?token=\*\*\*: could not open the connection: cannot open http:\/\/127\.0\.0\.1:1\/events\?token=\*\*\*.*; not retrying$/,
      )
      expect(errors[0]?.message).not.toContain('s3cr3t')
    },
  )

  it('connects with the options as createClient was given them, not as the object was changed since', async () => {
    const server = await serveHerald(events)
    jobs.add(() => server.close())
    const options: ClientOptions<typeof events> = { lastEventId: '', headers: { 'x-which': 'given' } }
    const client = createClient(events, server.url, options)
    jobs.add(() => client.close())
    options.headers = { 'x-which': 'changed' }
    options.ticket = () => 'late'
    await nextOpen(client)
    expect(server.requests).toHaveLength(1)
    expect(server.requests[0]?.headers['x-which']).toBe('given')
    expect(server.requests[0]?.url).toBe('/events')

    // Options it inherits count as they do for the checks.
    const inherited = createClient(events, server.url, Object.create({ headers: { 'x-which': 'inherited' } }))
    jobs.add(() => inherited.close())
    await nextOpen(inherited)
    expect(server.requests[1]?.headers['x-which']).toBe('inherited')
  })

  it('close() ends the server side of the stream', async () => {
    const { channel, client } = await connect()
    expect(channel.size).toBe(1)
    client.close()
    await expect.poll(() => channel.size).toBe(0)
  })

  it('reports a throwing hook as LISTENER_FAILED, and the other hooks still run', async () => {
    const { client, errors } = await connectWithThrowingOpenHook()
    expect(client.state).toBe('open')
    expect(errors).toHaveLength(1)
    expect(errors[0]).toMatchObject({ code: 'LISTENER_FAILED', event: undefined })
    expect(errors[0]?.cause).toEqual(new Error('hook boom'))
  })

  it('names no event in the message of a throwing hook', async () => {
    const { errors } = await connectWithThrowingOpenHook()
    expect(errors[0]?.message).not.toMatch(/undefined/)
  })

  it('stops calling a hook once its remover ran', async () => {
    const { channel, client } = await connect()
    const seen: string[] = []
    const removeError = client.onError((error) => seen.push(error.code))
    const removeState = client.onState((state) => seen.push(state))
    client.on('age', () => {
      throw new Error('boom')
    })
    removeError()
    removeState()
    channel.emit('age', 1)
    await expect.poll(() => client.lastEventId).not.toBe('')
    client.close()
    expect(seen).toEqual([])
  })
})

function connectWithThrowingOpenHook() {
  return connect({}, (client) =>
    client.onOpen(() => {
      throw new Error('hook boom')
    }),
  )
}
