import { describe, expect, it } from 'vitest'
import {
  CONTROL_NAMES,
  type ControlName,
  type ControlPayloads,
  decodeControl,
  encodeControl,
  MAX_CONTROL_MS,
} from './protocol.ts'

/** One valid payload per control event, as a server sends it. */
const samples: { [TName in ControlName]: ControlPayloads[TName] } = {
  'herald:hello': { heartbeatMs: 15_000, retryMs: 2345 },
  'herald:ping': null,
  'herald:gap': { lastEventId: 'x\r\nevent: admin\n\ndata: 1' },
  'herald:busy': { retryMs: 10_500 },
  'herald:refused': { topic: 'room:42', reason: 'forbidden' },
}

/** Decodes `data` as `name`, failing the test if it throws. */
const decode = (name: ControlName, data: string) => {
  let result: unknown
  expect(() => {
    result = decodeControl(name, data)
  }).not.toThrow()
  return result
}

describe('control events: encode then decode', () => {
  it('names every control event once', () => {
    expect([...CONTROL_NAMES].sort()).toEqual(Object.keys(samples).sort())
    expect(Object.isFrozen(CONTROL_NAMES)).toBe(true)
  })

  it.each(CONTROL_NAMES)('%s round-trips, on one line', (name) => {
    const data = encodeControl(name, samples[name])
    expect(data).not.toMatch(/[\r\n]/)
    expect(decodeControl(name, data)).toEqual(samples[name])
  })

  it('writes the bytes the protocol documents', () => {
    expect(encodeControl('herald:hello', { heartbeatMs: 0, retryMs: 1500 })).toBe('{"heartbeatMs":0,"retryMs":1500}')
    expect(encodeControl('herald:ping', null)).toBe('')
    expect(encodeControl('herald:gap', { lastEventId: 'a-1-2' })).toBe('{"lastEventId":"a-1-2"}')
    expect(encodeControl('herald:busy', { retryMs: 0 })).toBe('{"retryMs":0}')
  })

  it('carries topics: those a stream joined, the one a gap or a refusal is about', () => {
    const hello = { heartbeatMs: 1, retryMs: 2, topics: ['user:7', 'room:1'] }
    expect(decodeControl('herald:hello', encodeControl('herald:hello', hello))).toEqual(hello)
    const gap = { lastEventId: 'a-1-2', topic: 'room:1' }
    expect(decodeControl('herald:gap', encodeControl('herald:gap', gap))).toEqual(gap)
    for (const reason of ['forbidden', 'invalid', 'limit'] as const) {
      expect(decodeControl('herald:refused', JSON.stringify({ topic: 't:1', reason }))).toEqual({
        topic: 't:1',
        reason,
      })
    }
  })

  it('refuses topic fields of the wrong shape', () => {
    expect(decode('herald:hello', '{"heartbeatMs":1,"retryMs":2,"topics":"room:1"}')).toBeUndefined()
    expect(decode('herald:hello', '{"heartbeatMs":1,"retryMs":2,"topics":[1]}')).toBeUndefined()
    expect(decode('herald:gap', '{"lastEventId":"a","topic":7}')).toBeUndefined()
    expect(decode('herald:refused', '{"topic":"t:1","reason":"because"}')).toBeUndefined()
    expect(decode('herald:refused', '{"reason":"limit"}')).toBeUndefined()
  })

  it('takes the bounds: 0 and MAX_CONTROL_MS', () => {
    const data = encodeControl('herald:hello', { heartbeatMs: 0, retryMs: MAX_CONTROL_MS })
    expect(decodeControl('herald:hello', data)).toEqual({ heartbeatMs: 0, retryMs: MAX_CONTROL_MS })
  })

  it('keeps only the fields it knows', () => {
    const decoded = decodeControl('herald:busy', '{"retryMs":5,"extra":1,"__proto__":{"admin":true}}')
    expect(decoded).toEqual({ retryMs: 5 })
    expect(Object.keys(decoded ?? {})).toEqual(['retryMs'])
    expect(Object.getPrototypeOf(decoded)).toBe(Object.prototype)
  })

  it('a ping decodes to null whatever its data', () => {
    for (const data of ['', 'junk', '{"a":1}']) expect(decode('herald:ping', data)).toBeNull()
  })
})

describe('decodeControl: hostile data is undefined, never a throw', () => {
  const notJson = ['', ' ', 'undefined', 'NaN', '{', '{"retryMs":1', "{'retryMs':1}", '\u0000', '['.repeat(100_000)]
  it.each(notJson.map((data) => [data.slice(0, 20), data]))('not JSON: %j', (_, data) => {
    for (const name of CONTROL_NAMES.filter((name) => name !== 'herald:ping')) {
      expect(decode(name, data)).toBeUndefined()
    }
  })

  it('JSON that is not an object: null, arrays, strings, numbers, booleans', () => {
    for (const data of ['null', '[]', '[1000]', '["lastEventId"]', '"x"', '1000', 'true']) {
      expect(decode('herald:hello', data)).toBeUndefined()
      expect(decode('herald:gap', data)).toBeUndefined()
      expect(decode('herald:busy', data)).toBeUndefined()
    }
  })

  it('missing fields', () => {
    expect(decode('herald:hello', '{}')).toBeUndefined()
    expect(decode('herald:hello', '{"retryMs":1000}')).toBeUndefined()
    expect(decode('herald:hello', '{"heartbeatMs":1000}')).toBeUndefined()
    expect(decode('herald:busy', '{"heartbeatMs":1000}')).toBeUndefined()
    expect(decode('herald:gap', '{"lastEventID":"1"}')).toBeUndefined()
  })

  it('numbers that are not whole milliseconds a timer takes', () => {
    const bad = ['-1', '-0.5', '1.5', '1e-7', '1e400', '-1e400', String(MAX_CONTROL_MS + 1), '9007199254740993']
    for (const value of bad) {
      expect(decode('herald:busy', `{"retryMs":${value}}`), value).toBeUndefined()
      expect(decode('herald:hello', `{"heartbeatMs":${value},"retryMs":1}`), value).toBeUndefined()
      expect(decode('herald:hello', `{"heartbeatMs":1,"retryMs":${value}}`), value).toBeUndefined()
    }
    // JSON has no NaN or Infinity: the names are not JSON, and the strings are not numbers.
    for (const value of ['NaN', 'Infinity', '"NaN"', '"Infinity"']) {
      expect(decode('herald:busy', `{"retryMs":${value}}`), value).toBeUndefined()
    }
  })

  it('-0 and exponents that are whole numbers are read as the number', () => {
    expect(Object.is((decode('herald:busy', '{"retryMs":-0}') as { retryMs: number }).retryMs, 0)).toBe(true)
    expect(decode('herald:busy', '{"retryMs":1e3}')).toEqual({ retryMs: 1000 })
  })

  it('wrong types', () => {
    for (const value of ['"1000"', 'true', 'null', '[1000]', '{"valueOf":1000}']) {
      expect(decode('herald:busy', `{"retryMs":${value}}`), value).toBeUndefined()
      expect(decode('herald:hello', `{"heartbeatMs":${value},"retryMs":1}`), value).toBeUndefined()
    }
    for (const value of ['1', 'null', 'true', '["a"]', '{"toString":"a"}']) {
      expect(decode('herald:gap', `{"lastEventId":${value}}`), value).toBeUndefined()
    }
  })

  it('__proto__ keys do not supply fields or pollute anything', () => {
    expect(decode('herald:busy', '{"__proto__":{"retryMs":1000}}')).toBeUndefined()
    expect(decode('herald:gap', '{"__proto__":{"lastEventId":"1"}}')).toBeUndefined()
    expect(decode('herald:hello', '{"__proto__":{"heartbeatMs":1},"retryMs":1}')).toBeUndefined()
    expect(({} as Record<string, unknown>)['retryMs']).toBeUndefined()
  })

  it('fields inherited from a polluted Object.prototype are not fields of the data', () => {
    const proto = Object.prototype as unknown as Record<string, unknown>
    proto['retryMs'] = 1000
    proto['lastEventId'] = 'forged'
    try {
      expect(decode('herald:busy', '{}')).toBeUndefined()
      expect(decode('herald:gap', '{}')).toBeUndefined()
    } finally {
      delete proto['retryMs']
      delete proto['lastEventId']
    }
  })

  it('a name that is not a control event decodes to nothing, not to another event', () => {
    for (const name of ['herald:future', 'herald:', 'message', '__proto__', 'toString']) {
      expect(decode(name as ControlName, '{"heartbeatMs":1,"retryMs":1,"lastEventId":"1"}'), name).toBeUndefined()
    }
  })
})

describe("herald:hello's schema: the contract's fingerprint", () => {
  const schema = { fingerprint: '0123456789abcdef', events: { age: 'aaaaaaaaaaaaaaaa', name: 'bbbbbbbbbbbbbbbb' } }

  it('round-trips, with and without topics and topic kinds, after the other fields', () => {
    const hello = { heartbeatMs: 1, retryMs: 2, schema }
    const data = encodeControl('herald:hello', hello)
    expect(data).toBe(
      '{"heartbeatMs":1,"retryMs":2,"schema":{"fingerprint":"0123456789abcdef","events":{"age":"aaaaaaaaaaaaaaaa","name":"bbbbbbbbbbbbbbbb"}}}',
    )
    expect(decodeControl('herald:hello', data)).toEqual(hello)
    const withTopics = {
      heartbeatMs: 1,
      retryMs: 2,
      topics: ['room:1'],
      schema: { ...schema, topicKinds: { room: 'c' } },
    }
    expect(decodeControl('herald:hello', encodeControl('herald:hello', withTopics))).toEqual(withTopics)
  })

  it('a hello without one decodes as before', () => {
    expect(decodeControl('herald:hello', '{"heartbeatMs":1,"retryMs":2}')).toEqual({ heartbeatMs: 1, retryMs: 2 })
    expect(Object.keys(decodeControl('herald:hello', '{"heartbeatMs":1,"retryMs":2}') ?? {})).toEqual([
      'heartbeatMs',
      'retryMs',
    ])
  })

  it('is read strictly: a malformed schema makes the hello undefined', () => {
    const bad = [
      '"x"',
      '[]',
      'null',
      '{}',
      '{"fingerprint":"a"}',
      '{"events":{}}',
      '{"fingerprint":1,"events":{}}',
      '{"fingerprint":"","events":{}}',
      `{"fingerprint":"${'a'.repeat(65)}","events":{}}`,
      '{"fingerprint":"a","events":[]}',
      '{"fingerprint":"a","events":{"age":1}}',
      '{"fingerprint":"a","events":{"age":null}}',
      '{"fingerprint":"a","events":{"age":""}}',
      '{"fingerprint":"a","events":{},"topicKinds":"room"}',
      '{"fingerprint":"a","events":{},"topicKinds":{"room":true}}',
      '{"__proto__":{"fingerprint":"a","events":{}}}',
    ]
    for (const value of bad) {
      expect(decode('herald:hello', `{"heartbeatMs":1,"retryMs":2,"schema":${value}}`), value).toBeUndefined()
    }
  })

  it('keeps only the fields it knows, and a __proto__ event name is only a name', () => {
    const decoded = decodeControl(
      'herald:hello',
      '{"heartbeatMs":1,"retryMs":2,"schema":{"fingerprint":"f","extra":1,"events":{"__proto__":"h","age":"g"}}}',
    )
    expect(Object.keys(decoded?.schema ?? {})).toEqual(['fingerprint', 'events'])
    const events = decoded?.schema?.events ?? {}
    expect(Object.keys(events)).toEqual(['__proto__', 'age'])
    expect(Object.getPrototypeOf(events)).toBe(Object.prototype)
    expect(Object.hasOwn(events, '__proto__')).toBe(true)
  })
})
