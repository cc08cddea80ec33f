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
