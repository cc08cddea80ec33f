import { describe, expect, it } from 'vitest'
import * as z from 'zod'
import { decodePayload, defineEvents, encodePayload, text } from './index.ts'
import { heraldError } from './test-errors.ts'

const isoDate = z.codec(z.iso.datetime(), z.date(), {
  decode: (value) => new Date(value),
  encode: (date) => date.toISOString(),
})

const events = defineEvents({
  name: text(z.string()),
  age: text(z.coerce.number()),
  big: text(z.coerce.bigint()),
  on: text(z.stringbool()),
  strict: text(z.number()),
  mood: text(z.enum(['happy', 'sad'])),
  time: text(isoDate),
  rawDate: text(z.date()),
  date: text(z.coerce.date()),
  user: text(z.object({ name: z.string() })),
  json: z.string(),
})

describe('text events', () => {
  it('writes a string as it is, without JSON quoting', () => {
    expect(encodePayload(events, 'name', 'Ada')).toBe('Ada')
    expect(encodePayload(events, 'name', '"quoted"')).toBe('"quoted"')
    expect(encodePayload(events, 'json', 'Ada')).toBe('"Ada"')
    expect(decodePayload(events, 'name', '"quoted"')).toBe('"quoted"')
    expect(decodePayload(events, 'name', '')).toBe('')
  })

  it('decodes text(z.coerce.number()) data "24" to 24 and encodes 24 as "24"', () => {
    expect(decodePayload(events, 'age', '24')).toBe(24)
    expect(encodePayload(events, 'age', 24)).toBe('24')
    expect(decodePayload(events, 'age', '-1.5e3')).toBe(-1500)
    expect(decodePayload(events, 'age', encodePayload(events, 'age', 0.1))).toBe(0.1)
  })

  it('writes numbers, bigints and booleans with String()', () => {
    expect(encodePayload(events, 'big', 2n ** 64n)).toBe('18446744073709551616')
    expect(decodePayload(events, 'big', '18446744073709551616')).toBe(2n ** 64n)
    expect(encodePayload(events, 'on', true)).toBe('true')
    expect(decodePayload(events, 'on', 'false')).toBe(false)
    expect(decodePayload(events, 'mood', 'sad')).toBe('sad')
  })

  it('carries a Date through a string codec', () => {
    const at = new Date('2024-05-06T07:08:09.010Z')
    expect(encodePayload(events, 'time', at)).toBe('2024-05-06T07:08:09.010Z')
    expect(decodePayload(events, 'time', '2024-05-06T07:08:09.010Z')).toEqual(at)
  })

  it('keeps multi-line text, which SSE splits into data lines and joins with LF', () => {
    const poem = 'one\ntwo\n\nfour\n'
    expect(encodePayload(events, 'name', poem)).toBe(poem)
    expect(decodePayload(events, 'name', poem)).toBe(poem)
  })

  it.each([
    ['a lone CR', 'a\rb'],
    ['CRLF', 'one\r\ntwo'],
    ['a trailing CR', 'end\r'],
    ['a forged event', '\r\n\r\nevent: admin'],
  ])('rejects %s with INVALID_PAYLOAD', (_label, value) => {
    const error = heraldError(() => encodePayload(events, 'name', value))
    expect(error.code).toBe('INVALID_PAYLOAD')
    expect(error.event).toBe('name')
    expect(error.message).toBe("event 'name': a text event cannot carry CR; declare it as JSON")
  })

  it('rejects a payload whose wire form is not a string, number, bigint or boolean', () => {
    const object = heraldError(() => encodePayload(events, 'user', { name: 'Ada' }))
    expect(object.code).toBe('INVALID_PAYLOAD')
    expect(object.event).toBe('user')
    expect(object.message).toBe("event 'user': a text event must encode to a string, got object")
  })

  it('writes a Date as ISO 8601 when the schema reads it back, and refuses it when not', () => {
    const at = new Date('2024-05-06T07:08:09.010Z')
    const data = encodePayload(events, 'date', at)
    expect(data).toBe('2024-05-06T07:08:09.010Z')
    expect(decodePayload(events, 'date', data)).toEqual(at)
    // z.date() takes no string: the clients could never read the event.
    const date = heraldError(() => encodePayload(events, 'rawDate', at))
    expect(date.code).toBe('INVALID_PAYLOAD')
    expect(date.message).toBe(
      "event 'rawDate': a text event's Date must be read back from text: use text(z.coerce.date())",
    )
  })

  it('validates before writing', () => {
    const error = heraldError(() => encodePayload(events, 'mood', 'angry' as never))
    expect(error.code).toBe('INVALID_PAYLOAD')
    expect(error.issues[0]?.code).toBe('invalid_value')
  })

  it('reports data its schema rejects as DECODE_FAILED', () => {
    const nan = heraldError(() => decodePayload(events, 'age', 'twenty-four'))
    expect(nan.code).toBe('DECODE_FAILED')
    expect(nan.event).toBe('age')
    expect(nan.message).toBe("event 'age': expected number, received NaN")
    // Without coercion the data stays a string.
    const strict = heraldError(() => decodePayload(events, 'strict', '24'))
    expect(strict.code).toBe('DECODE_FAILED')
    expect(strict.message).toBe("event 'strict': expected number, received string")
    expect(heraldError(() => decodePayload(events, 'on', 'maybe')).code).toBe('DECODE_FAILED')
  })

  it('never parses text data as JSON', () => {
    expect(decodePayload(events, 'name', '{"not":"json"')).toBe('{"not":"json"')
    expect(decodePayload(events, 'name', 'null')).toBe('null')
  })

  it('rejects a lone surrogate, which UTF-8 cannot carry, as INVALID_PAYLOAD', () => {
    expect(() => encodePayload(events, 'name', 'a\uD800b')).toThrow(
      expect.objectContaining({
        code: 'INVALID_PAYLOAD',
        message: "event 'name': a text event cannot carry a lone surrogate",
      }),
    )
    expect(encodePayload(events, 'name', 'emoji \uD83D\uDE00')).toBe('emoji \uD83D\uDE00')
  })
})
