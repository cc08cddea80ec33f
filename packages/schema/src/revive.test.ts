import { describe, expect, it } from 'vitest'
import * as z from 'zod'
import { decodePayload, defineEvents, encodePayload } from './index.ts'

// How the reviver picks a union's option and walks each kind of schema; the cost bounds are in
// revive.cost.test.ts.

const at = new Date('2024-05-06T07:08:09.010Z')
const iso = at.toISOString()

describe('choosing a union option', () => {
  it('revives for the first option that decodes a primitive, checks included', () => {
    const events = defineEvents({
      short: z.union([z.string().length(3), z.date()]),
      digits: z.union([z.string().regex(/^[a-z]+$/), z.bigint()]),
    })
    expect(decodePayload(events, 'short', JSON.stringify(iso))).toEqual(at)
    expect(decodePayload(events, 'short', '"abc"')).toBe('abc')
    expect(decodePayload(events, 'digits', '"123"')).toBe(123n)
    expect(decodePayload(events, 'digits', '"abc"')).toBe('abc')
  })

  it('tells objects apart by their literals, keys and nested primitives', () => {
    const shape = z.union([
      z.object({ kind: z.literal('a'), at: z.string() }),
      z.object({ kind: z.literal('b'), at: z.date() }),
      z.strictObject({ when: z.string() }),
      z.object({ when: z.date(), extra: z.number() }),
    ])
    const events = defineEvents({ shape })
    expect(decodePayload(events, 'shape', JSON.stringify({ kind: 'a', at: iso }))).toEqual({ kind: 'a', at: iso })
    expect(decodePayload(events, 'shape', JSON.stringify({ kind: 'b', at: iso }))).toEqual({ kind: 'b', at })
    // Strict: the extra key rules out the third option, so the fourth revives `when`.
    expect(decodePayload(events, 'shape', JSON.stringify({ when: iso, extra: 1 }))).toEqual({ when: at, extra: 1 })
    expect(decodePayload(events, 'shape', JSON.stringify({ when: iso }))).toEqual({ when: iso })
  })

  it('tells arrays, tuples, Maps and Sets apart by their elements', () => {
    const events = defineEvents({
      list: z.union([z.array(z.number()), z.array(z.date())]),
      pair: z.union([z.tuple([z.string()]), z.tuple([z.date(), z.bigint()])]),
      bag: z.union([z.set(z.number()), z.map(z.string(), z.date())]),
    })
    expect(decodePayload(events, 'list', '[1,2]')).toEqual([1, 2])
    expect(decodePayload(events, 'list', JSON.stringify([iso]))).toEqual([at])
    expect(decodePayload(events, 'pair', JSON.stringify([iso, '5']))).toEqual([at, 5n])
    expect(decodePayload(events, 'pair', JSON.stringify([iso]))).toEqual([iso])
    expect(decodePayload(events, 'bag', '[1]')).toEqual(new Set([1]))
    expect(decodePayload(events, 'bag', JSON.stringify([['k', iso]]))).toEqual(new Map([['k', at]]))
  })

  it('follows the discriminator of a discriminated union, also inside intersections', () => {
    const event = z.intersection(
      z.discriminatedUnion('kind', [
        z.object({ kind: z.literal('x'), at: z.date() }),
        z.object({ kind: z.literal('y'), at: z.string() }),
      ]),
      z.object({ seen: z.set(z.bigint()) }),
    )
    const events = defineEvents({ event })
    const x = { kind: 'x' as const, at, seen: new Set([1n]) }
    const y = { kind: 'y' as const, at: iso, seen: new Set<bigint>() }
    expect(decodePayload(events, 'event', encodePayload(events, 'event', x))).toEqual(x)
    expect(decodePayload(events, 'event', encodePayload(events, 'event', y))).toEqual(y)
  })
})

// Issue #8 item 2: an option that fits by type but fails a check on its container (`.length()`,
// `.refine()`, `.max()`) was chosen anyway, its dates revived, the check failed, and the option that
// would have read the strings could no longer match. zod decodes these payloads; so must Herald.
describe('options whose container checks refuse the value', () => {
  const later = new Date(Date.now() + 86_400_000)
  const schemas = {
    pair: z.union([z.array(z.date()).length(2), z.array(z.string())]),
    future: z.union([
      z.object({ at: z.date() }).refine((v) => v.at.getTime() > Date.now()),
      z.object({ at: z.string() }),
    ]),
    nested: z.union([z.object({ list: z.array(z.date()).max(1) }), z.object({ list: z.array(z.string()) })]),
    byName: z.union([z.map(z.string(), z.date()).max(1), z.map(z.string(), z.string())]),
    wrapped: z.union([
      z
        .array(z.date())
        .optional()
        .refine((v) => v?.length === 1),
      z.array(z.string()),
    ]),
  }
  const events = defineEvents(schemas)
  const cases: [keyof typeof schemas, unknown, unknown][] = [
    ['pair', [iso, iso, iso], [iso, iso, iso]],
    ['pair', [iso, iso], [at, at]],
    ['future', { at: iso }, { at: iso }],
    ['future', { at: later.toISOString() }, { at: later }],
    ['nested', { list: [iso, iso] }, { list: [iso, iso] }],
    ['nested', { list: [iso] }, { list: [at] }],
    [
      'byName',
      [
        ['a', iso],
        ['b', iso],
      ],
      new Map([
        ['a', iso],
        ['b', iso],
      ]),
    ],
    ['byName', [['a', iso]], new Map([['a', at]])],
    ['wrapped', [iso, iso], [iso, iso]],
    ['wrapped', [iso], [at]],
  ]

  it.each(cases)('%s: decodes %j as zod does', (name, wire, expected) => {
    // zod accepts the payload the server would emit, so Herald must decode it, to the same value.
    expect(z.safeDecode(schemas[name], expected as never).success).toBe(true)
    expect(decodePayload(events, name, JSON.stringify(wire))).toEqual(expected)
  })

  it('decodes a recursive union with a checked option at every level', () => {
    type Node = { at: Date | string; next?: Node | undefined }
    const node: z.ZodType<Node> = z.lazy(() =>
      z.union([
        z.object({ at: z.date(), next: node.optional() }).refine((v) => v.at.getTime() > Date.now()),
        z.object({ at: z.string(), next: node.optional() }),
      ]),
    )
    const recursive = defineEvents({ node })
    let value: Node = { at: later }
    for (let level = 0; level < 30; level++) value = { at: level % 2 === 0 ? iso : later, next: value }
    expect(z.safeDecode(node, value).success).toBe(true)
    expect(decodePayload(recursive, 'node', encodePayload(recursive, 'node', value))).toEqual(value)
  })
})

describe('record options whose key schema refuses the keys', () => {
  // zod checks a record's keys too: an option whose keys do not fit must not be revived for.
  const strings = z.record(z.string(), z.string())
  const schemas = {
    enumKey: z.union([z.partialRecord(z.enum(['a']), z.date()), strings]),
    regexKey: z.union([z.record(z.string().regex(/^a/), z.date()), strings]),
    minKey: z.union([z.record(z.string().min(3), z.date()), strings]),
    exhaustiveKey: z.union([z.record(z.enum(['a', 'b']), z.date()), strings]),
    numberKey: z.union([z.record(z.number(), z.date()), strings]),
    literalKey: z.union([z.record(z.literal('a'), z.date()), strings]),
  }
  const events = defineEvents(schemas)
  const cases: [keyof typeof schemas, unknown, unknown][] = [
    ['enumKey', { b: iso }, { b: iso }],
    ['enumKey', { a: iso }, { a: at }],
    ['regexKey', { b: iso }, { b: iso }],
    ['regexKey', { ab: iso }, { ab: at }],
    ['minKey', { b: iso }, { b: iso }],
    ['minKey', { abc: iso }, { abc: at }],
    ['exhaustiveKey', { b: iso }, { b: iso }],
    ['exhaustiveKey', { a: iso, b: iso }, { a: at, b: at }],
    ['numberKey', { b: iso }, { b: iso }],
    ['numberKey', { 1: iso }, { 1: at }],
    ['literalKey', { b: iso }, { b: iso }],
    ['literalKey', { a: iso }, { a: at }],
  ]

  it.each(cases)('%s: decodes %j as zod does', (name, wire, expected) => {
    expect(z.safeDecode(schemas[name], expected as never).success).toBe(true)
    expect(decodePayload(events, name, JSON.stringify(wire))).toEqual(expected)
  })
})

describe('schemas that used to be misread', () => {
  it('encodes and revives a tuple without a rest element', () => {
    const events = defineEvents({ pair: z.tuple([z.string(), z.date()]) })
    expect(decodePayload(events, 'pair', encodePayload(events, 'pair', ['a', at]))).toEqual(['a', at])
  })

  it('runs the codecs inside a Map or Set when encoding', () => {
    const isoDate = z.codec(z.iso.datetime(), z.date(), {
      decode: (value) => new Date(value),
      encode: (date) => date.toISOString(),
    })
    const events = defineEvents({ byName: z.map(z.string(), isoDate), times: z.set(isoDate) })
    const byName = new Map([['a', at]])
    expect(decodePayload(events, 'byName', encodePayload(events, 'byName', byName))).toEqual(byName)
    expect(decodePayload(events, 'times', encodePayload(events, 'times', new Set([at])))).toEqual(new Set([at]))
  })

  it('keeps a JSON __proto__ key as data', () => {
    const events = defineEvents({ byKey: z.record(z.string(), z.date()) })
    const decoded = decodePayload(events, 'byKey', `{"__proto__":${JSON.stringify(iso)},"b":${JSON.stringify(iso)}}`)
    expect(Object.getPrototypeOf(decoded)).toBe(Object.prototype)
    expect(decoded['b']).toEqual(at)
  })
})
