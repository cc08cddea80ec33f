import http from 'node:http'
import { createClient, type HeraldClient } from '@herald/client'
import { type AnyEvents, defineEvents, type HeraldError, isHeraldError, text } from '@herald/schema'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import * as z from 'zod'
import { createChannel } from './channel.ts'
import { idsIn, openRaw, type RawStream, serveChannel, useCleanup } from './test-server.ts'
import type { ChannelOptions } from './types.ts'

// Guarantee 6, server side: hostile payloads, names and Last-Event-ID values over a real Koa
// server, read by Herald's real client and by a raw reader of the wire bytes.

const events = defineEvents({
  s: z.string(),
  obj: z.object({ s: z.string(), list: z.array(z.string()) }),
  note: text(z.string()),
  n: z.number(),
})

const defer = useCleanup()

async function setup(options: ChannelOptions = {}) {
  const channel = createChannel(events, { heartbeatMs: 0, ...options })
  const server = await serveChannel(channel)
  defer(
    () => server.close(),
    () => channel.close(),
  )
  const raw = async (headers?: Record<string, string>, url = server.url): Promise<RawStream> => {
    const stream = await openRaw(url, headers)
    defer(() => stream.close())
    await stream.waitFor('event: herald:hello')
    return stream
  }
  return { channel, server, raw }
}

/** A Herald client that records every payload with its event name, and every error. */
function listen<TEvents extends AnyEvents>(contract: TEvents, url: string) {
  const client: HeraldClient<TEvents> = createClient(contract, url)
  defer(() => client.close())
  const received: [string, unknown][] = []
  const errors: HeraldError[] = []
  client.onError((error) => errors.push(error))
  for (const name of contract.names) client.on(name, (payload, meta) => received.push([meta.name, payload]))
  const opened = new Promise<void>((resolve) => client.onOpen(resolve))
  return { client, received, errors, opened }
}

/** The blocks of a raw stream, split at blank lines; the trailing empty piece is dropped. */
const blocksOf = (wire: string) => wire.split('\n\n').slice(0, -1)
const linesStartingWith = (wire: string, field: string) => wire.split('\n').filter((line) => line.startsWith(field))

const hundredKB = 'a\nb\r\n\r\nevent: admin\0\u2028'.repeat(100_000 / 20).slice(0, 100_000)
const hostile: [string, string][] = [
  ['LF', 'a\nb'],
  ['CR', 'a\rb'],
  ['CRLF CRLF', 'a\r\n\r\nb'],
  ['a forged event field', 'event: admin\ndata: x'],
  ['a forged block', '\n\nid: 9\nevent: admin\nretry: 1\ndata: x\n\n'],
  ['an id field', 'id: 9'],
  ['a comment', ': ping\n'],
  ['NUL', 'a\0b\0'],
  ['a lone high surrogate', 'x\uD800y'],
  ['a lone low surrogate', '\uDC00'],
  ['a reversed surrogate pair', '\uDC00\uD800'],
  ['U+2028, U+2029 and NEL', '\u2028\u2029\u0085'],
  ['a BOM', '\uFEFFdata: x'],
  ['astral characters', '𝄞🙂\u{10FFFF}'],
  ['100 KB of all of these', hundredKB],
]

describe('hostile payload strings over the wire', () => {
  it('each arrives as exactly one event equal to what was sent; the wire has no extra field or event', async () => {
    // `obj` carries the 100 KB string three times, escaped: about 470 KB of JSON.
    const { channel, server, raw } = await setup({ maxEventBytes: 1 << 20 })
    const stream = await raw()
    const { received, errors, opened } = listen(events, server.url)
    await opened
    const sent: [string, unknown][] = []
    for (const [, value] of hostile) {
      sent.push(['s', value], ['obj', { s: value, list: [value, value] }])
      channel.emit('s', value)
      channel.emit('obj', { s: value, list: [value, value] })
    }
    channel.emit('n', 1) // the end marker
    sent.push(['n', 1])

    await expect.poll(() => received.length, { timeout: 5000 }).toBe(sent.length)
    expect(received).toEqual(sent)
    expect(errors).toEqual([])

    const wire = await stream.waitFor(/event: n\ndata: 1\n\n$/)
    const blocks = blocksOf(wire)
    // The opening block, then one block of exactly three lines per emit.
    expect(blocks).toHaveLength(1 + sent.length)
    for (const block of blocks.slice(1))
      expect(block).toMatch(/^id: [A-Za-z0-9]+-\d+-\d+\nevent: (s|obj|n)\ndata: [^\r\n]*$/)
    expect(linesStartingWith(wire, 'event:')).toHaveLength(1 + sent.length)
    // One id per emit, plus the opening block's (the position a new stream joins at).
    expect(linesStartingWith(wire, 'id:')).toHaveLength(1 + sent.length)
    expect(linesStartingWith(wire, 'retry:')).toHaveLength(1)
    expect(wire).not.toContain('\r')
    expect(wire).not.toMatch(/^(event: admin|id: 9|retry: 1)$/m)
    // JSON escapes the control characters and the lone surrogates, so UTF-8 can carry them.
    expect(wire).toContain('"x\\ud800y"')
    expect(wire).toContain('"a\\u0000b\\u0000"')
  })

  it('splits text() events into data lines that the client joins back, and refuses CR and lone surrogates', async () => {
    const { channel, server, raw } = await setup()
    const stream = await raw()
    const { received, errors, opened } = listen(events, server.url)
    await opened
    const safe = [
      'a\nb',
      'event: admin\ndata: x',
      '\n\nid: 9\nevent: admin\n\n',
      'id: 9',
      ': comment',
      'x\n',
      'a\0b',
      '\u2028',
      hundredKB.replaceAll('\r', ''),
    ]
    for (const value of safe) channel.emit('note', value)
    for (const value of ['a\rb', '\r\n\r\nevent: admin', 'x\uD800']) {
      expect(() => channel.emit('note', value)).toThrow(expect.objectContaining({ code: 'INVALID_PAYLOAD' }))
    }
    channel.emit('n', 2)
    await expect.poll(() => received.length, { timeout: 5000 }).toBe(safe.length + 1)
    expect(received).toEqual([...safe.map((value) => ['note', value]), ['n', 2]])
    expect(errors).toEqual([])
    const wire = await stream.waitFor(/event: n\ndata: 2\n\n$/)
    expect(linesStartingWith(wire, 'event:')).toHaveLength(1 + safe.length + 1)
    expect(linesStartingWith(wire, 'id:')).toHaveLength(1 + safe.length + 1)
    expect(wire).not.toMatch(/^(event: admin|id: 9)$/m)
    // Every line of a block is a field Herald wrote: id, event or data.
    for (const block of blocksOf(wire).slice(1)) {
      for (const line of block.split('\n')) expect(line).toMatch(/^(id|event|data):/)
    }
  })
})

// Any UTF-16 code unit, so lone surrogates show up (fast-check's 'binary' unit skips them).
const codeUnit = fc.integer({ min: 0, max: 0xffff }).map((code) => String.fromCharCode(code))
const anyString = fc.oneof(
  fc.string({ unit: 'grapheme' }),
  fc.string({ unit: 'binary' }),
  fc.string({ unit: codeUnit }),
  fc.constantFrom(...hostile.slice(0, -1).map(([, value]) => value)),
)
// JSON writes -0 as 0; NaN and Infinity are not JSON numbers and zod rejects them anyway.
const double = fc.double({ noNaN: true, noDefaultInfinity: true }).filter((value) => !Object.is(value, -0))
const date = fc.date({ noInvalidDate: true })
// zod drops a `__proto__` key when it parses a record, so no codec could keep one.
const recordKey = anyString.filter((key) => key !== '__proto__')

describe('property: any schema-valid payload arrives equal, in order', () => {
  const documents = defineEvents({
    doc: z.object({
      text: z.string(),
      n: z.number(),
      int: z.number().int(),
      at: z.date(),
      maybe: z.string().optional(),
      tags: z.array(z.string()),
      items: z.array(z.object({ at: z.date(), label: z.string(), total: z.bigint() })),
      byKey: z.record(z.string(), z.number()),
    }),
    word: z.string(),
  })
  const docArb = fc.record(
    {
      text: anyString,
      n: double,
      int: fc.oneof(fc.integer(), fc.constantFrom(0, Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER)),
      at: date,
      maybe: anyString,
      tags: fc.array(anyString, { maxLength: 5 }),
      items: fc.array(fc.record({ at: date, label: anyString, total: fc.bigInt() }), { maxLength: 4 }),
      byKey: fc.dictionary(recordKey, double, { maxKeys: 4 }),
    },
    { requiredKeys: ['text', 'n', 'int', 'at', 'tags', 'items', 'byKey'] },
  )
  const emission = fc.oneof(
    docArb.map((doc) => ['doc', doc] as const),
    anyString.map((word) => ['word', word] as const),
  )

  it('through the real server and client, on one connection', async () => {
    const channel = createChannel(documents, { heartbeatMs: 0 })
    const server = await serveChannel(channel)
    defer(
      () => server.close(),
      () => channel.close(),
    )
    const { received, errors, opened } = listen(documents, server.url)
    await opened
    await fc.assert(
      fc.asyncProperty(fc.array(emission, { minLength: 1, maxLength: 5 }), async (batch) => {
        const start = received.length
        for (const [name, value] of batch) {
          if (name === 'doc') channel.emit(name, value)
          else channel.emit(name, value)
        }
        await expect.poll(() => received.length, { timeout: 2000, interval: 2 }).toBe(start + batch.length)
        expect(received.slice(start)).toEqual(batch)
        expect(errors).toEqual([])
      }),
      { numRuns: 50 },
    )
  })
})

describe('event names supplied at run time, bypassing the types', () => {
  const names: unknown[] = [
    'a\nb',
    's\nevent: admin',
    's\r\n\r\ndata: x',
    's\r',
    ':s',
    ' s',
    's ',
    '',
    'herald:gap',
    'herald:ping',
    'x'.repeat(10_000),
    's\0',
    'message',
    '__proto__',
    'constructor',
    'hasOwnProperty',
    42,
    null,
    undefined,
    { toString: () => 's' },
    ['s'],
    Symbol('s'),
  ]

  it('emit throws a typed error for each and writes nothing to any stream', async () => {
    const { channel, raw } = await setup()
    const [a, b] = [await raw(), await raw()]
    // Each stream has its own prelude: its retry: is jittered.
    const preludes = new Map([a, b].map((stream) => [stream, stream.text()]))
    for (const name of names) {
      let thrown: unknown
      try {
        channel.emit(name as never, 'x' as never)
      } catch (error) {
        thrown = error
      }
      expect(isHeraldError(thrown), `emit(${String(name).slice(0, 20)})`).toBe(true)
      expect((thrown as HeraldError).code).toBe('UNKNOWN_EVENT')
      expect((thrown as HeraldError).message.length).toBeLessThan(120)
    }
    const id = channel.emit('s', 'after')
    for (const stream of [a, b]) {
      const wire = await stream.waitFor('"after"')
      expect(wire).toBe(`${preludes.get(stream)}id: ${id}\nevent: s\ndata: "after"\n\n`)
    }
  })

  it('emit on a closed channel throws CHANNEL_CLOSED even for a Symbol name', async () => {
    const channel = createChannel(events, { heartbeatMs: 0 })
    await channel.close()
    expect(() => channel.emit(Symbol('s') as never, 'x' as never)).toThrow(
      expect.objectContaining({ code: 'CHANNEL_CLOSED' }),
    )
  })
})

/** A GET over node:http, so header bytes (latin1, oversize) go out exactly as given. */
function get(url: string, headers: Record<string, string>) {
  let body = ''
  let request: http.ClientRequest | undefined
  const response = new Promise<http.IncomingMessage>((resolve, reject) => {
    request = http.get(url, { headers }, (res) => {
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => {
        body += chunk
      })
      res.on('error', () => {})
      resolve(res)
    })
    request.on('error', reject)
  })
  defer(() => request?.destroy())
  return {
    response,
    body: () => body,
    async until(needle: string, ms = 2000) {
      await expect.poll(() => body.includes(needle), { timeout: ms, interval: 5 }).toBe(true)
      return body
    },
  }
}

describe('hostile Last-Event-ID values', () => {
  const forged: [string, string][] = [
    ['8 KB', 'x'.repeat(8192)],
    ['8 KB of digits', `${'1'.repeat(8190)}-0`],
    ['non-numeric', 'abc'],
    ['$', '$'],
    ['+', '+'],
    ['-', '-'],
    ['>', '>'],
    ['(1-0', '(1-0'],
    ['23 digits', '99999999999999999999999-0'],
    ['the largest id shape', '99999999999999999999-99999999999999999999'],
    ['a forged future id', `${Date.now() + 86_400_000}-0`],
    ['0-0', '0-0'],
    ['-1-0', '-1-0'],
    ['leading zeros', '01-0'],
    ['non-ASCII (latin1 bytes)', 'caf\u00e9-\u00ff'],
    ['two ids', '1-0, 2-0'],
    ['a JSON breakout', '"},"event: admin'],
  ]

  it.each(forged)('%s: 200 with herald:gap, no replay, then live', async (_, value) => {
    const { channel, server } = await setup()
    channel.emit('n', 1)
    const request = get(server.url, { 'last-event-id': value })
    const res = await request.response
    expect(res.statusCode).toBe(200)
    expect(res.headers['content-type']).toBe('text/event-stream; charset=utf-8')
    await request.until('event: herald:gap\n')
    channel.emit('n', 2)
    const wire = await request.until('data: 2\n\n')
    expect(wire).not.toContain('data: 1\n')
    expect(idsIn(wire)).toHaveLength(1)
    expect(linesStartingWith(wire, 'event:')).toEqual(['event: herald:hello', 'event: herald:gap', 'event: n'])
    const gap = /event: herald:gap\ndata: (.*)\n\n/.exec(wire)?.[1] ?? ''
    expect(Object.keys(JSON.parse(gap))).toEqual(['lastEventId'])
  })

  it('?lastEventId= with encoded CR, LF and a forged block cannot inject a field', async () => {
    const { channel, server, raw } = await setup()
    channel.emit('n', 1)
    const injected = encodeURIComponent('\r\n\r\nevent: admin\ndata: x\n\n')
    const stream = await raw({}, `${server.url}?lastEventId=${injected}`)
    await stream.waitFor('event: herald:gap')
    channel.emit('n', 2)
    const wire = await stream.waitFor('data: 2\n\n')
    expect(wire).not.toContain('\r')
    expect(wire).not.toMatch(/^(event: admin|data: x)$/m)
    expect(linesStartingWith(wire, 'event:')).toEqual(['event: herald:hello', 'event: herald:gap', 'event: n'])
  })

  it("all at once, beside a healthy Herald client: never a 5xx, and the healthy client's stream is unaffected", async () => {
    const { channel, server } = await setup()
    const healthy = listen(events, server.url)
    await healthy.opened
    channel.emit('n', 0)
    const attacks = forged.map(([, value]) => get(server.url, { 'last-event-id': value }))
    const statuses = await Promise.all(attacks.map(async (attack) => (await attack.response).statusCode))
    expect(statuses).toEqual(forged.map(() => 200))
    await Promise.all(attacks.map((attack) => attack.until('event: herald:gap')))
    for (let n = 1; n <= 5; n++) channel.emit('n', n)
    await expect.poll(() => healthy.received.length).toBe(6)
    expect(healthy.received).toEqual([0, 1, 2, 3, 4, 5].map((n) => ['n', n]))
    expect(healthy.errors).toEqual([])
    expect(healthy.client.state).toBe('open')
    expect(channel.size).toBe(1 + forged.length)
  })

  it('a Herald client given a forged lastEventId reports HISTORY_GAP, then receives live events', async () => {
    const { channel, server } = await setup()
    channel.emit('n', 1)
    const client = createClient(events, server.url, { lastEventId: '(1-0' })
    defer(() => client.close())
    const errors: HeraldError[] = []
    const ns: number[] = []
    client.onError((error) => errors.push(error))
    client.on('n', (n) => ns.push(n))
    await expect.poll(() => errors.map((error) => error.code)).toEqual(['HISTORY_GAP'])
    channel.emit('n', 2)
    await expect.poll(() => ns).toEqual([2])
  })
})

describe('request headers over the limit', () => {
  it('get 431 from Node before Herald sees them; the server and its open streams carry on', async () => {
    const { channel, server, raw } = await setup()
    const stream = await raw()
    const { received, opened } = listen(events, server.url)
    await opened
    const sizes = [20_000, 100_000]
    for (const size of sizes) {
      const huge = get(server.url, { 'last-event-id': 'x'.repeat(size) })
      const res = await huge.response
      expect(res.statusCode).toBe(431)
    }
    // Many mid-sized headers add up past the limit too.
    const headers = Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`x-pad-${i}`, 'y'.repeat(500)]))
    expect((await get(server.url, headers).response).statusCode).toBe(431)
    expect(channel.size).toBe(2)
    const id = channel.emit('n', 7)
    await expect.poll(() => received).toEqual([['n', 7]])
    expect(idsIn(await stream.waitFor('data: 7\n'))).toEqual([id])
    const again = await openRaw(server.url)
    defer(() => again.close())
    expect(again.response.status).toBe(200)
  })
})
