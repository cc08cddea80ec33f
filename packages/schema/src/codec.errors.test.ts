import { describe, expect, it } from 'vitest'
import * as z from 'zod'
import { decodePayload, defineEvents, encodePayload, HeraldError, isHeraldError } from './index.ts'
import { heraldError } from './test-errors.ts'

const events = defineEvents({
  age: z.number(),
  user: z.object({ name: z.string(), age: z.number().int().min(0) }),
  time: z.date(),
  length: z.string().transform((value) => value.length),
  symbol: z.symbol(),
})

describe('encodePayload errors', () => {
  it('rejects a payload of the wrong type with INVALID_PAYLOAD', () => {
    const error = heraldError(() => encodePayload(events, 'age', '24' as never))
    expect(error).toBeInstanceOf(HeraldError)
    expect(error).toBeInstanceOf(Error)
    expect(error.name).toBe('HeraldError')
    expect(error.code).toBe('INVALID_PAYLOAD')
    expect(error.event).toBe('age')
    expect(error.message).toBe("event 'age': expected number, received string")
    expect(error.issues).toHaveLength(1)
    expect(error.issues[0]).toMatchObject({ code: 'invalid_type', expected: 'number', path: [] })
    expect(error.cause).toBeInstanceOf(z.core.$ZodError)
  })

  it('names the path of a nested failure and lists every issue', () => {
    const error = heraldError(() => encodePayload(events, 'user', { name: 7, age: -1 } as never))
    expect(error.code).toBe('INVALID_PAYLOAD')
    expect(error.issues.map((issue) => issue.path)).toEqual([['name'], ['age']])
    expect(error.message).toMatch(/^event 'user': expected string, received number at 'name'; .* at 'age'$/)
  })

  it('rejects an invalid Date', () => {
    const error = heraldError(() => encodePayload(events, 'time', new Date(Number.NaN)))
    expect(error.code).toBe('INVALID_PAYLOAD')
    expect(error.event).toBe('time')
  })

  it('reports a unidirectional transform as INVALID_PAYLOAD instead of crashing', () => {
    const error = heraldError(() => encodePayload(events, 'length', 3))
    expect(error.code).toBe('INVALID_PAYLOAD')
    expect(error.event).toBe('length')
    expect(error.message).toMatch(/^event 'length': .*transform/)
    expect(error.cause).toBeInstanceOf(Error)
    // The transform still runs on the receiving side.
    expect(decodePayload(events, 'length', '"abc"')).toBe(3)
  })

  it('rejects a payload JSON cannot write with INVALID_PAYLOAD', () => {
    const error = heraldError(() => encodePayload(events, 'symbol', Symbol('x')))
    expect(error.code).toBe('INVALID_PAYLOAD')
    expect(error.event).toBe('symbol')
  })

  it('rejects an unknown event name with UNKNOWN_EVENT', () => {
    const error = heraldError(() => encodePayload(events, 'agee' as never, 24 as never))
    expect(error.code).toBe('UNKNOWN_EVENT')
    expect(error.event).toBe('agee')
    expect(error.message).toBe("event 'agee': not in the event map")
    expect(error.issues).toEqual([])
  })

  it.each(['toString', 'constructor', '__proto__', 'hasOwnProperty'])('treats %s as unknown', (name) => {
    expect(heraldError(() => encodePayload(events, name as never, 1 as never)).code).toBe('UNKNOWN_EVENT')
    expect(heraldError(() => decodePayload(events, name as never, '1')).code).toBe('UNKNOWN_EVENT')
  })

  it('shortens a long unknown name in the message but keeps it whole in `event`', () => {
    const name = 'x'.repeat(500)
    const error = heraldError(() => encodePayload(events, name as never, 1 as never))
    expect(error.message).toBe(`event '${'x'.repeat(40)}': not in the event map`)
    expect(error.event).toBe(name)
  })
})

describe('decodePayload errors', () => {
  it.each(['1', 'tomorrow', 'Tue Jan 02 2024', '2024-1-2', '2024-01-02T10'])(
    'rejects %j for a z.date(): only ISO 8601 strings are revived, not whatever new Date() takes',
    (text) => {
      const error = heraldError(() => decodePayload(events, 'time', JSON.stringify(text)))
      expect(error.code).toBe('DECODE_FAILED')
      expect(error.message).toBe("event 'time': expected date, received string")
    },
  )

  it.each(['2024-01-02', '2024-01-02T03:04Z', '2024-01-02T03:04:05+01:00', '+275760-09-13T00:00:00.000Z'])(
    'revives the ISO 8601 form %j for a z.date()',
    (text) => {
      expect(decodePayload(events, 'time', JSON.stringify(text))).toEqual(new Date(text))
    },
  )

  it('keeps a JSON `__proto__` key as data while reviving: it never becomes the prototype', () => {
    const loose = defineEvents({ doc: z.looseObject({ at: z.date() }), strict: z.object({ at: z.date() }) })
    const data = '{"at":"2024-01-02T03:04:05.000Z","__proto__":{"isAdmin":true}}'
    const doc = decodePayload(loose, 'doc', data) as Record<string, unknown>
    expect(Object.getPrototypeOf(doc)).toBe(Object.prototype)
    expect(doc['isAdmin']).toBeUndefined()
    const strict = decodePayload(loose, 'strict', data) as Record<string, unknown>
    expect(Object.getPrototypeOf(strict)).toBe(Object.prototype)
    expect(strict).toEqual({ at: new Date('2024-01-02T03:04:05.000Z') })
  })

  it('rejects an unknown event name with UNKNOWN_EVENT', () => {
    const error = heraldError(() => decodePayload(events, 'agee' as never, '24'))
    expect(error.code).toBe('UNKNOWN_EVENT')
    expect(error.event).toBe('agee')
  })

  it.each(['{', 'undefined', "'24'", '24,', '{"a":1}}', 'NaN'])(
    'rejects the bad JSON %j with DECODE_FAILED',
    (data) => {
      const error = heraldError(() => decodePayload(events, 'age', data))
      expect(error.code).toBe('DECODE_FAILED')
      expect(error.event).toBe('age')
      expect(error.message).toMatch(/^event 'age': invalid JSON \(.+\)$/)
      expect(error.issues).toEqual([])
      expect(error.cause).toBeInstanceOf(Error)
    },
  )

  it('rejects JSON that fails the schema with DECODE_FAILED and its issues', () => {
    const error = heraldError(() => decodePayload(events, 'age', '"24"'))
    expect(error.code).toBe('DECODE_FAILED')
    expect(error.event).toBe('age')
    expect(error.message).toBe("event 'age': expected number, received string")
    expect(error.issues[0]).toMatchObject({ code: 'invalid_type', expected: 'number' })

    const nested = heraldError(() => decodePayload(events, 'user', '{"name":"Ada","age":1.5}'))
    expect(nested.code).toBe('DECODE_FAILED')
    expect(nested.issues[0]?.path).toEqual(['age'])
    expect(nested.message).toContain("at 'age'")
  })

  it('rejects empty data for an event that needs a value', () => {
    const error = heraldError(() => decodePayload(events, 'age', ''))
    expect(error.code).toBe('DECODE_FAILED')
    expect(error.message).toBe("event 'age': expected number, received undefined")
  })

  it('rejects a string that is not a date for a Date event', () => {
    const error = heraldError(() => decodePayload(events, 'time', '"yesterday"'))
    expect(error.code).toBe('DECODE_FAILED')
    expect(error.event).toBe('time')
  })
})

describe('isHeraldError', () => {
  it('is true for every error the codec throws', () => {
    const thrown = [
      () => encodePayload(events, 'age', 'x' as never),
      () => encodePayload(events, 'nope' as never, 1 as never),
      () => decodePayload(events, 'age', '{'),
      () => decodePayload(events, 'age', '"x"'),
      () => encodePayload(events, 'length', 1),
    ].map((fn) => {
      try {
        fn()
      } catch (error) {
        return error
      }
      return undefined
    })
    expect(thrown.map(isHeraldError)).toEqual([true, true, true, true, true])
  })

  it('is true for a HeraldError from another copy of the package', () => {
    const foreign = Object.assign(new Error('x'), { code: 'DECODE_FAILED', [Symbol.for('herald.error')]: true })
    expect(isHeraldError(foreign)).toBe(true)
    expect(isHeraldError(new HeraldError('CHANNEL_CLOSED', 'closed'))).toBe(true)
  })

  it.each([
    ['a plain Error', new Error("event 'age': expected number")],
    ['a TypeError', new TypeError('x')],
    ['a zod error', new z.ZodError([])],
    ['a look-alike object', { name: 'HeraldError', code: 'INVALID_PAYLOAD', message: 'x' }],
    ['null', null],
    ['undefined', undefined],
    ['a string', 'HeraldError'],
  ])('is false for %s', (_label, value) => {
    expect(isHeraldError(value)).toBe(false)
  })
})
