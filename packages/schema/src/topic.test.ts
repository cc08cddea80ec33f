import { describe, expect, it } from 'vitest'
import * as z from 'zod'
import * as zm from 'zod/mini'
import { type AnyEvents, assertTopic, defineEvents, MAX_TOPIC_LENGTH, topicProblem } from './index.ts'
import { heraldError } from './test-errors.ts'

const events = defineEvents(
  { notice: z.string() },
  {
    topics: {
      user: z.string().regex(/^[a-z0-9]+$/),
      room: z.int().positive(),
      doc: z.string(),
      lower: z.string().transform((s) => s.toLowerCase()),
      price: z.number(),
      mini: zm.string(),
    },
  },
)
const bare = defineEvents({ notice: z.string() })

/** The INVALID_TOPIC error `assertTopic` throws for `topic`, checked against `topicProblem`. */
function refusal(topic: unknown, contract: AnyEvents = events) {
  const problem = topicProblem(contract, topic)
  expect(problem).toBeTypeOf('string')
  const error = heraldError(() => assertTopic(contract, topic))
  expect(error.code).toBe('INVALID_TOPIC')
  expect(error.message).toContain(problem)
  return error
}

describe('defineEvents topics', () => {
  it('keeps the topic schemas on a frozen record', () => {
    const user = z.string()
    const room = z.int()
    const source = { user, room }
    const contract = defineEvents({ notice: z.string() }, { topics: source })
    expect(contract.topics).toEqual({ user, room })
    expect(contract.topics.user).toBe(user)
    expect(contract.topics.room).toBe(room)
    expect(Object.isFrozen(contract.topics)).toBe(true)
    // A copy: changing the record passed in changes nothing.
    expect(contract.topics).not.toBe(source)
    ;(source as Record<string, unknown>)['extra'] = z.string()
    expect(Object.keys(contract.topics)).toEqual(['user', 'room'])
    expect(() => {
      ;(contract.topics as Record<string, unknown>)['extra'] = z.string()
    }).toThrow(TypeError)
  })

  it('has empty topics without the option', () => {
    expect(bare.topics).toEqual({})
    expect(Object.isFrozen(bare.topics)).toBe(true)
    expect(defineEvents({ notice: z.string() }, {}).topics).toEqual({})
    expect(defineEvents({ notice: z.string() }, { topics: undefined } as never).topics).toEqual({})
  })

  const badOptions: [label: string, options: unknown, message: string | RegExp][] = [
    ['a string', 'topics', 'defineEvents() options must be an object'],
    ['null', null, 'defineEvents() options must be an object'],
    ['topics: a string', { topics: 'room' }, "defineEvents() option 'topics' must be a record of zod schemas"],
    ['topics: a number', { topics: 1 }, "defineEvents() option 'topics' must be a record of zod schemas"],
    ['topics: an array', { topics: [z.string()] }, "defineEvents() option 'topics' must be a record of zod schemas"],
    ['a value that is not a schema', { topics: { room: 'int' } }, "topic kind 'room': expected a zod schema"],
    ['a null schema', { topics: { room: null } }, "topic kind 'room': expected a zod schema"],
    ['a plain object schema', { topics: { room: { parse() {} } } }, "topic kind 'room': expected a zod schema"],
    ["a kind with ':'", { topics: { 'a:b': z.string() } }, "topic kind 'a:b': use 1 to 64 of A-Z a-z 0-9 _ . -"],
    ['an empty kind', { topics: { '': z.string() } }, "topic kind '': use 1 to 64"],
    ['a 65-character kind', { topics: { ['k'.repeat(65)]: z.string() } }, /^topic kind 'k{40}': use 1 to 64/],
    ['a kind with a space', { topics: { 'a b': z.string() } }, "topic kind 'a b': use 1 to 64"],
    ['a kind with a line break', { topics: { 'a\nb': z.string() } }, "topic kind 'a\nb': use 1 to 64"],
  ]

  it.each(badOptions)('refuses %s with INVALID_OPTIONS', (_label, options, message) => {
    const error = heraldError(() => defineEvents({ notice: z.string() }, options as never))
    expect(error.code).toBe('INVALID_OPTIONS')
    if (typeof message === 'string') expect(error.message).toContain(message)
    else expect(error.message).toMatch(message)
  })

  it('accepts kinds of 1 to 64 of the allowed characters', () => {
    const kinds = ['a', 'k'.repeat(64), 'Room_2.v-1']
    const contract = defineEvents(
      { notice: z.string() },
      { topics: Object.fromEntries(kinds.map((k) => [k, z.int()])) },
    )
    expect(Object.keys(contract.topics)).toEqual(kinds)
    for (const kind of kinds) expect(topicProblem(contract, `${kind}:1`)).toBeUndefined()
  })
})

describe('topicProblem and assertTopic', () => {
  const accepted = [
    'user:ada',
    'user:7',
    'room:42',
    'room:1',
    'doc:a:b',
    'doc::',
    'doc: x ',
    'doc:ü',
    'doc:😀',
    'lower:ada',
    'price:-1.5',
    'price:0',
    'mini:x',
    `doc:${'x'.repeat(MAX_TOPIC_LENGTH - 4)}`,
  ]

  it.each(accepted)('accepts %s', (topic) => {
    expect(topicProblem(events, topic)).toBeUndefined()
    expect(() => assertTopic(events, topic)).not.toThrow()
  })

  it('reads the kind up to the first colon', () => {
    const contract = defineEvents({ notice: z.string() }, { topics: { doc: z.string().regex(/^[a-z]+:[a-z]+$/) } })
    expect(topicProblem(contract, 'doc:a:b')).toBeUndefined()
    expect(refusal('doc:a', contract).message).toMatch(/^topic 'doc:a' has a parameter its schema rejects/)
  })

  it('refuses a kind the contract does not declare, naming the declared ones', () => {
    const error = refusal('chat:1')
    expect(error.topic).toBe('chat:1')
    expect(error.message).toBe(
      "topic 'chat:1' is not declared: topics are 'user:…', 'room:…', 'doc:…', 'lower:…', 'price:…', 'mini:…'",
    )
    // Kinds are case-sensitive.
    expect(refusal('Room:1').message).toContain('is not declared')
    expect(refusal(':1').message).toContain('is not declared')
  })

  it.each(['constructor:1', '__proto__:1', 'toString:x', 'hasOwnProperty:x', 'valueOf:1', 'constructor', '__proto__'])(
    'refuses the undeclared prototype name %s',
    (topic) => {
      expect(refusal(topic).message).toContain('is not declared')
      expect(refusal(topic, bare).message).toContain('is not declared')
    },
  )

  it('accepts a prototype-ish kind when it is declared', () => {
    const contract = defineEvents({ notice: z.string() }, { topics: { constructor: z.int() } })
    expect(topicProblem(contract, 'constructor:1')).toBeUndefined()
    expect(refusal('toString:1', contract).message).toContain("topics are 'constructor:…'")
  })

  it('refuses every topic of a contract without topics', () => {
    const error = refusal('room:42', bare)
    expect(error.message).toBe("topic 'room:42' is not declared: the contract has no topics")
    expect(error.topic).toBe('room:42')
  })

  it('refuses a topic with no parameter', () => {
    expect(refusal('room').message).toBe("topic 'room' has no parameter: write 'room:<parameter>'")
  })

  it('refuses an empty parameter its schema rejects', () => {
    const error = refusal('room:')
    expect(error.message).toMatch(/^topic 'room:' has a parameter its schema rejects: /)
    expect(error.topic).toBe('room:')
    // A schema that takes the empty string takes it as a parameter.
    expect(topicProblem(events, 'doc:')).toBeUndefined()
  })

  it('refuses a parameter its schema rejects, with the zod issue', () => {
    expect(refusal('user:Ada!').message).toBe(
      "topic 'user:Ada!' has a parameter its schema rejects: Invalid string: must match pattern /^[a-z0-9]+$/",
    )
    expect(refusal('room:abc').message).toBe(
      "topic 'room:abc' has a parameter its schema rejects: expected number, received string",
    )
    expect(refusal('room:0').message).toContain('Too small: expected number to be >0')
    expect(refusal('room:-3').message).toContain('Too small: expected number to be >0')
    expect(refusal('room:1.5').message).toContain('expected int, received number')
  })

  it.each([
    ['room:042', 'room:42'],
    ['room:4.0', 'room:4'],
    ['room:00', undefined],
    ['price:-0', 'price:0'],
    ['price:1.50', 'price:1.5'],
    ['price:007', 'price:7'],
    ['lower:ADA', 'lower:ada'],
    ['lower:Ada', 'lower:ada'],
  ])('refuses the non-canonical %s', (topic, canonical) => {
    const error = refusal(topic)
    if (canonical === undefined) {
      expect(error.message).toContain(`topic '${topic}' `)
    } else {
      expect(error.message).toBe(`topic '${topic}' is not written canonically: write '${canonical}'`)
      expect(topicProblem(events, canonical)).toBeUndefined()
    }
  })

  it.each(['room:+4', 'room:1e3', 'room: 4', 'room:4 ', 'room:0x10', 'room:Infinity', 'room:NaN', 'room:٤', 'room:4.'])(
    'refuses %s, which is not a plain decimal',
    (topic) => {
      expect(refusal(topic).topic).toBe(topic)
    },
  )

  it('refuses a topic longer than 128 characters', () => {
    const topic = `doc:${'x'.repeat(MAX_TOPIC_LENGTH - 3)}`
    expect(topic).toHaveLength(129)
    const error = refusal(topic)
    expect(error.message).toBe(`topic '${topic.slice(0, 40)}' is longer than 128 characters`)
    expect(error.topic).toBe(topic)
  })

  it.each([
    ['NUL', 'doc:a\0b'],
    ['CR', 'doc:a\rb'],
    ['LF', 'doc:a\nb'],
    ['CRLF', 'doc:a\r\n'],
    ['tab', 'doc:a\tb'],
    ['DEL', 'doc:a\x7fb'],
    ['escape', 'doc:\x1b[31m'],
    ['lone high surrogate', 'doc:a\uD800'],
    ['lone low surrogate', 'doc:\uDC00a'],
    ['reversed surrogate pair', 'doc:\uDE00\uD83D'],
    ['control character in the kind', 'd\noc:a'],
  ])('refuses a topic with a %s', (_label, topic) => {
    const error = refusal(topic)
    expect(error.message).toContain('contains a control character or a lone surrogate')
    expect(error.topic).toBe(topic)
  })

  it.each([
    ['a number', 42, 'number'],
    ['undefined', undefined, 'undefined'],
    ['null', null, 'object'],
    ['an object', { toString: () => 'room:1' }, 'object'],
    ['a String object', new String('room:1'), 'object'],
    ['a symbol', Symbol('room:1'), 'symbol'],
  ])('refuses %s', (_label, topic, type) => {
    const error = refusal(topic)
    expect(error.message).toMatch(/^topic '/)
    expect(error.message).toContain(`must be a string, received ${type}`)
    expect(error.topic).toBeUndefined()
  })

  it('gives INVALID_TOPIC errors that name the topic first', () => {
    for (const topic of ['chat:1', 'room', 'room:042', 'user:A', 'doc:\n']) {
      const error = refusal(topic)
      expect(error.name).toBe('HeraldError')
      expect(error.message.startsWith(`topic '${topic}' `)).toBe(true)
      expect(error.topic).toBe(topic)
    }
  })

  it('returns quickly for a hostile 1 MB topic', () => {
    const huge = ['room:', '1'.repeat(1 << 20)].join('')
    const hostile = [huge, `room:${'0'.repeat(1 << 20)}.`, `${'a'.repeat(1 << 20)}`, `doc:${'\uD800'.repeat(1 << 19)}`]
    const started = performance.now()
    for (const topic of hostile) expect(refusal(topic).message).toContain('is longer than 128 characters')
    expect(performance.now() - started).toBeLessThan(200)
  })

  it('refuses, without throwing anything else, a parameter whose schema throws or is async', () => {
    const contract = defineEvents(
      { notice: z.string() },
      {
        topics: {
          boom: z.string().refine(() => {
            throw new Error('refinement failed')
          }),
          later: z.string().refine(async () => true),
        },
      },
    )
    expect(refusal('boom:x', contract).message).toMatch(/^topic 'boom:x' has a parameter its schema rejects: /)
    expect(refusal('later:x', contract).message).toMatch(/^topic 'later:x' has a parameter its schema rejects: /)
  })

  it('treats a contract without a topics record as one without topics', () => {
    const old = { ...bare, topics: undefined } as unknown as AnyEvents
    expect(refusal('room:1', old).message).toBe("topic 'room:1' is not declared: the contract has no topics")
  })
})
