import { describe, expect, it } from 'vitest'
import * as z from 'zod'
import * as zm from 'zod/mini'
import { type AnyEvents, decodePayload, defineEvents, type EventName, encodePayload, type Payload } from './index.ts'

/** Encodes then decodes one payload, checking on the way that the data could sit in one SSE frame. */
function roundTrip<TEvents extends AnyEvents, TName extends EventName<TEvents>>(
  events: TEvents,
  name: TName,
  payload: Payload<TEvents, TName>,
): { data: string; decoded: Payload<TEvents, TName> } {
  const data = encodePayload(events, name, payload)
  expect(data).not.toMatch(/[\r\n]/)
  return { data, decoded: decodePayload(events, name, data) }
}

const at = new Date('2024-05-06T07:08:09.010Z')
const later = new Date('2031-12-31T23:59:59.999Z')
const iso = '"2024-05-06T07:08:09.010Z"'

describe('strings in JSON events', () => {
  const events = defineEvents({ text: z.string(), list: z.array(z.string()) })
  const tricky: [label: string, value: string][] = [
    ['LF', 'line one\nline two'],
    ['CRLF', 'line one\r\nline two'],
    ['a lone CR', 'a\rb'],
    ['a forged event', 'hi\r\n\r\nevent: admin\ndata: {"root":true}\n\n'],
    ['NUL', 'a\0b'],
    ['a lone high surrogate', 'a\uD800b'],
    ['a lone low surrogate', '\uDC00'],
    ['U+2028 and U+2029', 'a\u2028b\u2029c'],
    ['astral characters', '𝌆 🎉 年龄'],
    ['an SSE comment', ': not a comment'],
    ['an empty string', ''],
  ]

  it.each(tricky)('round-trips %s without raw line breaks', (_label, value) => {
    const { data, decoded } = roundTrip(events, 'text', value)
    expect(decoded).toBe(value)
    expect(JSON.parse(data)).toBe(value)
  })

  it('round-trips all of them inside an array', () => {
    const values = tricky.map(([, value]) => value)
    expect(roundTrip(events, 'list', values).decoded).toEqual(values)
  })
})

describe('Dates', () => {
  it('round-trips a top-level z.date() as an ISO string', () => {
    const events = defineEvents({ time: z.date() })
    const { data, decoded } = roundTrip(events, 'time', at)
    expect(data).toBe(iso)
    expect(decoded).toBeInstanceOf(Date)
    expect(decoded).toEqual(at)
  })

  it('round-trips Dates nested in objects, arrays, optionals and nullables', () => {
    const schema = z.object({
      at: z.date(),
      list: z.array(z.date()),
      maybe: z.date().optional(),
      nothing: z.date().nullable(),
      deep: z.object({ inner: z.object({ when: z.date() }) }),
    })
    const events = defineEvents({ doc: schema })
    const full = { at, list: [at, later], maybe: later, nothing: at, deep: { inner: { when: later } } }
    expect(roundTrip(events, 'doc', full).decoded).toEqual(full)
    const sparse = { at, list: [], nothing: null, deep: { inner: { when: at } } }
    expect(roundTrip(events, 'doc', sparse).decoded).toEqual(sparse)
  })

  it('round-trips Dates in records, tuples and unions', () => {
    const events = defineEvents({
      record: z.record(z.string(), z.date()),
      tuple: z.tuple([z.string(), z.date()], z.date()),
      union: z.union([z.number(), z.date()]),
      dateOrText: z.union([z.date(), z.string()]),
      nullish: z.date().nullish(),
    })
    expect(roundTrip(events, 'record', { a: at, b: later }).decoded).toEqual({ a: at, b: later })
    expect(roundTrip(events, 'tuple', ['x', at, later]).decoded).toEqual(['x', at, later])
    expect(roundTrip(events, 'union', at).decoded).toEqual(at)
    expect(roundTrip(events, 'union', 7).decoded).toBe(7)
    expect(roundTrip(events, 'dateOrText', at).decoded).toEqual(at)
    expect(roundTrip(events, 'dateOrText', 'not a date').decoded).toBe('not a date')
    expect(roundTrip(events, 'nullish', null).decoded).toBeNull()
    expect(roundTrip(events, 'nullish', at).decoded).toEqual(at)
  })

  it('round-trips a discriminated union whose variants hold Dates', () => {
    const change = z.discriminatedUnion('kind', [
      z.object({ kind: z.literal('created'), at: z.date() }),
      z.object({ kind: z.literal('moved'), at: z.date(), from: z.string(), until: z.date().optional() }),
      z.object({ kind: z.literal('deleted'), by: z.string() }),
    ])
    const events = defineEvents({ change, changes: z.array(change) })
    const all = [
      { kind: 'created' as const, at },
      { kind: 'moved' as const, at, from: 'a', until: later },
      { kind: 'deleted' as const, by: 'me' },
    ]
    for (const one of all) expect(roundTrip(events, 'change', one).decoded).toEqual(one)
    expect(roundTrip(events, 'changes', all).decoded).toEqual(all)
  })

  it('round-trips a zod codec from ISO string to Date', () => {
    const isoDate = z.codec(z.iso.datetime(), z.date(), {
      decode: (value) => new Date(value),
      encode: (date) => date.toISOString(),
    })
    const events = defineEvents({ time: isoDate, log: z.object({ at: isoDate, tags: z.array(z.string()) }) })
    const { data, decoded } = roundTrip(events, 'time', at)
    expect(data).toBe(iso)
    expect(decoded).toEqual(at)
    expect(roundTrip(events, 'log', { at, tags: ['a'] }).decoded).toEqual({ at, tags: ['a'] })
  })
})

describe('bigint, Map and Set', () => {
  const events = defineEvents({
    big: z.bigint(),
    map: z.map(z.string(), z.date()),
    byDate: z.map(z.date(), z.set(z.bigint())),
    set: z.set(z.bigint()),
    mixed: z.object({ id: z.bigint(), seen: z.set(z.string()), totals: z.record(z.string(), z.bigint()) }),
  })

  it.each([0n, 1n, -1n, 2n ** 64n, -(10n ** 30n)])('round-trips the bigint %s', (value) => {
    const { data, decoded } = roundTrip(events, 'big', value)
    expect(data).toBe(`"${value}"`)
    expect(decoded).toBe(value)
  })

  it('round-trips Maps and Sets, with revived keys and values', () => {
    const map = new Map([
      ['a', at],
      ['b', later],
    ])
    expect(roundTrip(events, 'map', map).decoded).toEqual(map)
    const byDate = new Map([[at, new Set([1n, -2n])]])
    const decoded = roundTrip(events, 'byDate', byDate).decoded
    expect(decoded).toEqual(byDate)
    expect([...decoded.keys()][0]).toBeInstanceOf(Date)
    expect(roundTrip(events, 'set', new Set([3n, 4n])).decoded).toEqual(new Set([3n, 4n]))
    expect(roundTrip(events, 'set', new Set()).decoded).toEqual(new Set())
  })

  it('round-trips them nested in an object', () => {
    const value = { id: 2n ** 70n, seen: new Set(['x', 'y']), totals: { a: 1n, b: -5n } }
    expect(roundTrip(events, 'mixed', value).decoded).toEqual(value)
  })
})

describe('recursive schemas', () => {
  interface Tree {
    at: Date
    children: Tree[]
  }
  const tree: Tree = {
    at,
    children: [
      { at: later, children: [{ at, children: [] }] },
      { at: later, children: [] },
    ],
  }

  it('round-trips a z.lazy schema whose Date comes before the recursion', () => {
    const node: z.ZodType<Tree> = z.object({ at: z.date(), children: z.array(z.lazy(() => node)) })
    expect(roundTrip(defineEvents({ tree: node }), 'tree', tree).decoded).toEqual(tree)
  })

  it('round-trips a z.lazy schema whose recursion comes before the Date', () => {
    const node: z.ZodType<Tree> = z.object({ children: z.array(z.lazy(() => node)), at: z.date() })
    expect(roundTrip(defineEvents({ tree: node }), 'tree', tree).decoded).toEqual(tree)
  })

  it('round-trips a recursive object declared with a getter', () => {
    const node = z.object({
      get children() {
        return z.array(node)
      },
      at: z.date(),
    })
    expect(roundTrip(defineEvents({ tree: node }), 'tree', tree).decoded).toEqual(tree)
  })
})

describe('empty payloads', () => {
  const events = defineEvents({ ping: z.void(), tick: z.undefined(), maybe: z.date().optional(), none: z.null() })

  it('writes z.void() and z.undefined() payloads as empty data', () => {
    expect(encodePayload(events, 'ping', undefined)).toBe('')
    expect(encodePayload(events, 'tick', undefined)).toBe('')
    expect(decodePayload(events, 'ping', '')).toBeUndefined()
    expect(decodePayload(events, 'tick', '')).toBeUndefined()
  })

  it('writes an absent optional as empty data and null as null', () => {
    expect(roundTrip(events, 'maybe', undefined)).toEqual({ data: '', decoded: undefined })
    expect(roundTrip(events, 'none', null)).toEqual({ data: 'null', decoded: null })
  })
})

describe('zod/mini schemas', () => {
  const isoDate = zm.codec(zm.iso.datetime(), zm.date(), {
    decode: (value) => new Date(value),
    encode: (date) => date.toISOString(),
  })
  const events = defineEvents({
    user: zm.object({ name: zm.string(), age: zm.number(), born: zm.date(), tags: zm.optional(zm.array(zm.string())) }),
    id: zm.bigint(),
    time: isoDate,
    seen: zm.set(zm.date()),
  })

  it('round-trips objects, Dates, bigints, Sets and codecs', () => {
    const user = { name: 'Ada\r\nLovelace', age: 36, born: at, tags: ['x'] }
    expect(roundTrip(events, 'user', user).decoded).toEqual(user)
    expect(roundTrip(events, 'id', 9n).decoded).toBe(9n)
    expect(roundTrip(events, 'time', at)).toEqual({ data: iso, decoded: at })
    expect(roundTrip(events, 'seen', new Set([at, later])).decoded).toEqual(new Set([at, later]))
  })

  it('reports mini schema failures as HeraldErrors', () => {
    expect(() => encodePayload(events, 'id', 1 as never)).toThrow(expect.objectContaining({ code: 'INVALID_PAYLOAD' }))
    expect(() => decodePayload(events, 'user', '{"name":1}')).toThrow(
      expect.objectContaining({ code: 'DECODE_FAILED', event: 'user' }),
    )
  })
})
