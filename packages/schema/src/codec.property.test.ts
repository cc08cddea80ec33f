import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import * as z from 'zod'
import { decodePayload, defineEvents, encodePayload, isHeraldError, text } from './index.ts'

// Any UTF-16 code unit, so lone surrogates show up too (fast-check's 'binary' unit skips them).
const codeUnit = fc.integer({ min: 0, max: 0xffff }).map((code) => String.fromCharCode(code))
const anyString = fc.oneof(
  fc.string(),
  fc.string({ unit: 'grapheme' }),
  fc.string({ unit: 'binary' }),
  fc.string({ unit: codeUnit }),
  fc.constantFrom('\r\n\r\nevent: admin', 'a\nb', '\r', '\0', '\u2028', ': comment'),
)
// JSON writes -0 as 0, so -0 is out; NaN and Infinity are not JSON numbers and zod rejects them.
const double = fc.double({ noNaN: true, noDefaultInfinity: true }).filter((value) => !Object.is(value, -0))
const date = fc.date({ noInvalidDate: true })
// zod itself drops a `__proto__` key when it parses a record or object, so no codec can keep one.
const recordKey = fc.string({ unit: 'binary' }).filter((key) => key !== '__proto__')
const jsonValue = fc.jsonValue().filter((value) => !JSON.stringify(value).includes('"__proto__":'))

const item = z.object({ id: z.number().int(), label: z.string(), at: z.date() })
const document = z.object({
  ascii: z.string(),
  unicode: z.string(),
  int: z.number().int(),
  double: z.number(),
  flag: z.boolean(),
  at: z.date(),
  maybe: z.date().optional(),
  tags: z.array(z.string()),
  items: z.array(item),
  byName: z.record(z.string(), z.date()),
})

const events = defineEvents({
  document,
  json: z.json(),
  line: text(z.string()),
})

const itemArb = fc.record({ id: fc.integer(), label: anyString, at: date })
const documentArb = fc.record(
  {
    ascii: fc.string(),
    unicode: anyString,
    int: fc.oneof(fc.integer(), fc.maxSafeInteger(), fc.constantFrom(0, Number.MAX_SAFE_INTEGER)),
    double,
    flag: fc.boolean(),
    at: date,
    maybe: date,
    tags: fc.array(anyString),
    items: fc.array(itemArb, { maxLength: 5 }),
    byName: fc.dictionary(recordKey, date, { maxKeys: 5 }),
  },
  { requiredKeys: ['ascii', 'unicode', 'int', 'double', 'flag', 'at', 'tags', 'items', 'byName'] },
)

describe('round-trip properties', () => {
  it('decodes every encoded JSON document back to an equal value, with no raw line breaks', () => {
    fc.assert(
      fc.property(documentArb, (value) => {
        const data = encodePayload(events, 'document', value)
        expect(data).not.toMatch(/[\r\n]/)
        expect(decodePayload(events, 'document', data)).toEqual(value)
      }),
      { numRuns: 300 },
    )
  })

  it('loses nothing beyond what JSON itself loses for z.json() values', () => {
    fc.assert(
      fc.property(jsonValue, (value) => {
        const data = encodePayload(events, 'json', value as z.core.util.JSONType)
        expect(data).not.toMatch(/[\r\n]/)
        // JSON itself turns -0 into 0, which fc.jsonValue() generates.
        expect(decodePayload(events, 'json', data)).toEqual(JSON.parse(JSON.stringify(value)))
      }),
    )
  })

  // Text is written as UTF-8 lines, so it can carry neither CR nor a lone surrogate.
  it('round-trips any well-formed text without CR through text(z.string())', () => {
    const withoutCR = anyString.filter((value) => !value.includes('\r') && value.isWellFormed())
    fc.assert(
      fc.property(withoutCR, (value) => {
        const data = encodePayload(events, 'line', value)
        expect(data).toBe(value)
        expect(decodePayload(events, 'line', data)).toBe(value)
      }),
      { numRuns: 300 },
    )
  })

  it('rejects any text with a CR as INVALID_PAYLOAD', () => {
    const withCR = fc.tuple(anyString, anyString).map(([before, after]) => `${before}\r${after}`)
    fc.assert(
      fc.property(withCR, (value) => {
        let thrown: unknown
        try {
          encodePayload(events, 'line', value)
        } catch (error) {
          thrown = error
        }
        expect(isHeraldError(thrown) && thrown.code).toBe('INVALID_PAYLOAD')
      }),
    )
  })
})
