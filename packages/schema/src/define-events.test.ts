import { describe, expect, it } from 'vitest'
import * as z from 'zod'
import {
  assertEventName,
  decodePayload,
  defineEvents,
  type EventSpec,
  encodePayload,
  eventNameProblem,
  MAX_EVENT_NAME_LENGTH,
  text,
} from './index.ts'
import { heraldError } from './test-errors.ts'

describe('defineEvents names', () => {
  const rejected: [label: string, name: string][] = [
    ['empty', ''],
    ['CR', 'a\rb'],
    ['LF', 'a\nb'],
    ['CRLF', 'a\r\nb'],
    ['trailing LF', 'age\n'],
    ['NUL', 'a\0b'],
    ["leading ':'", ':comment'],
    ['leading space', ' age'],
    ['trailing space', 'age '],
    ['leading tab', '\tage'],
    ['129 characters', 'x'.repeat(MAX_EVENT_NAME_LENGTH + 1)],
    ['lone high surrogate', 'a\uD800b'],
    ['lone low surrogate', '\uDC00'],
    ['reversed surrogate pair', '\uDE00\uD83D'],
  ]

  it.each(rejected)('rejects a name that is %s', (_label, name) => {
    const error = heraldError(() => defineEvents({ [name]: z.string() }))
    expect(error.code).toBe('INVALID_EVENT_NAME')
    expect(error.event).toBe(name)
    expect(error.message).toContain(`event '${name.slice(0, 40)}'`)
    expect(error.message).toMatch(/: name /)
  })

  it('says why a name is rejected', () => {
    expect(heraldError(() => defineEvents({ '': z.string() })).message).toBe("event '': name is empty")
    expect(heraldError(() => defineEvents({ ':x': z.string() })).message).toBe("event ':x': name starts with ':'")
    expect(heraldError(() => defineEvents({ 'a\nb': z.string() })).message).toContain('line break or NUL')
    expect(heraldError(() => defineEvents({ [`${'y'.repeat(129)}`]: z.string() })).message).toContain(
      'longer than 128 characters',
    )
    expect(heraldError(() => defineEvents({ 'herald:gap': z.string() })).message).toBe(
      "event 'herald:gap': name uses the reserved prefix 'herald:'",
    )
    // An EventSource fires these for its connection too: their listeners could not tell them apart.
    for (const name of ['open', 'error']) {
      expect(heraldError(() => defineEvents({ [name]: z.string() })).message).toBe(
        `event '${name}': name is one of EventSource's own events, 'open' and 'error'`,
      )
    }
  })

  it('rejects a bad name even when other names are fine', () => {
    const error = heraldError(() => defineEvents({ ok: z.string(), 'not\nok': z.number() }))
    expect(error.code).toBe('INVALID_EVENT_NAME')
    expect(error.event).toBe('not\nok')
  })

  const accepted = [
    'message',
    'user.created',
    'user:created',
    'age',
    '年龄',
    '🎉 party',
    'a b',
    'x'.repeat(MAX_EVENT_NAME_LENGTH),
    'constructor',
    'toString',
    '42',
  ]

  it.each(accepted)('accepts %j', (name) => {
    const events = defineEvents({ [name]: z.string() })
    expect(events.names).toEqual([name])
    expect(events.specs.get(name)?.name).toBe(name)
    expect(eventNameProblem(name)).toBeUndefined()
  })

  it('exposes the same rules through assertEventName and eventNameProblem', () => {
    expect(() => assertEventName('age')).not.toThrow()
    expect(heraldError(() => assertEventName(42)).code).toBe('INVALID_EVENT_NAME')
    expect(heraldError(() => assertEventName(undefined)).message).toContain('must be a string')
    for (const [, name] of rejected) {
      expect(eventNameProblem(name)).toEqual(expect.any(String))
      expect(heraldError(() => assertEventName(name)).code).toBe('INVALID_EVENT_NAME')
    }
  })
})

describe('defineEvents entries', () => {
  const bad: [label: string, definition: unknown][] = [
    ['a string', 'string'],
    ['a number', 42],
    ['null', null],
    ['undefined', undefined],
    ['a plain object', { type: 'string' }],
    ['a function', () => z.string()],
    ['text-like with no schema', { format: 'text' }],
    ['text-like with a non-schema', { format: 'text', schema: 'string' }],
    ['an unknown format', { format: 'xml', schema: z.string() }],
  ]

  it.each(bad)('rejects %s as an event definition', (_label, definition) => {
    const error = heraldError(() => defineEvents({ age: z.number(), broken: definition } as never))
    expect(error.code).toBe('INVALID_OPTIONS')
    expect(error.event).toBe('broken')
    expect(error.message).toBe("event 'broken': expected a zod schema or text(schema)")
  })

  it.each([null, undefined, 42, 'events', [z.string()]])('rejects %j as the event map', (map) => {
    expect(heraldError(() => defineEvents(map as never)).code).toBe('INVALID_OPTIONS')
  })

  it('accepts an empty map', () => {
    const events = defineEvents({})
    expect(events.names).toEqual([])
    expect(events.specs.size).toBe(0)
  })
})

describe('text()', () => {
  it('marks an event as plain text', () => {
    const schema = z.coerce.number()
    const definition = text(schema)
    expect(definition).toEqual({ format: 'text', schema })
    expect(Object.isFrozen(definition)).toBe(true)

    const events = defineEvents({ age: definition, name: z.string() })
    expect(events.specs.get('age')).toEqual({ name: 'age', format: 'text', schema })
    expect(events.specs.get('name')?.format).toBe('json')
    expect(events.map.age).toBe(definition)
  })

  it.each([undefined, null, 'string', {}, { format: 'text' }])('rejects %j instead of a schema', (schema) => {
    const error = heraldError(() => text(schema as never))
    expect(error.code).toBe('INVALID_OPTIONS')
    expect(error.message).toBe('text() expects a zod schema')
  })
})

describe('the contract', () => {
  const map = { name: z.string(), age: text(z.coerce.number()), time: z.date(), 'user.created': z.object({}) }

  it('lists names in definition order', () => {
    expect(defineEvents(map).names).toEqual(['name', 'age', 'time', 'user.created'])
    expect(defineEvents({ b: z.string(), a: z.string(), c: z.string() }).names).toEqual(['b', 'a', 'c'])
  })

  it('keeps one spec per event with its schema', () => {
    const events = defineEvents(map)
    expect([...events.specs.keys()]).toEqual(events.names)
    expect(events.specs.get('name')).toEqual({ name: 'name', format: 'json', schema: map.name })
    expect(events.specs.get('time')?.schema).toBe(map.time)
    expect(events.specs.get('age')?.schema).toBe(map.age.schema)
    expect(events.specs.has('nope')).toBe(false)
  })

  it('freezes the contract, its map, its names and its specs', () => {
    const events = defineEvents(map)
    expect(Object.isFrozen(events)).toBe(true)
    expect(Object.isFrozen(events.map)).toBe(true)
    expect(Object.isFrozen(events.names)).toBe(true)
    for (const spec of events.specs.values()) expect(Object.isFrozen(spec)).toBe(true)
    expect(() => {
      ;(events.map as Record<string, unknown>)['extra'] = z.string()
    }).toThrow(TypeError)
    expect(() => {
      ;(events.names as string[]).push('extra')
    }).toThrow(TypeError)
  })

  it('keeps its specs read-only: set, delete and clear throw and change nothing', () => {
    const events = defineEvents(map)
    const spec = events.specs.get('name') as EventSpec
    const specs = events.specs as Map<string, EventSpec>
    expect(() => specs.set('evil\nid: 1', spec)).toThrow(TypeError)
    expect(() => specs.delete('name')).toThrow(TypeError)
    expect(() => specs.clear()).toThrow(TypeError)
    expect(() => Object.assign(specs, { set: () => specs })).toThrow(TypeError)
    expect([...events.specs.keys()]).toEqual(events.names)
    // Still a Map to the server and client, which check `specs instanceof Map`.
    expect(events.specs).toBeInstanceOf(Map)
    expect(Object.isFrozen(events.specs)).toBe(true)
    expect(() => {
      ;(spec as { name: string }).name = 'evil\n'
    }).toThrow(TypeError)
  })

  it('never encodes or decodes under a name defineEvents did not check', () => {
    const events = defineEvents(map)
    const spec = events.specs.get('name') as EventSpec
    const forged = 'name\nid: 999\ndata: "admin"\n'
    // Map's own set still reaches the entries of any Map: the codec does not trust what it adds.
    Map.prototype.set.call(events.specs, forged, spec)
    expect(heraldError(() => encodePayload(events, forged as never, 'x' as never)).code).toBe('INVALID_EVENT_NAME')
    expect(heraldError(() => decodePayload(events, forged as never, '"x"')).code).toBe('INVALID_EVENT_NAME')
    // Nor a contract put together by hand, whatever its specs claim.
    const handMade = { ...events, specs: new Map([[forged, { name: forged, format: 'json', schema: z.string() }]]) }
    expect(heraldError(() => encodePayload(handMade as never, forged as never, 'x' as never)).code).toBe(
      'INVALID_EVENT_NAME',
    )
    // A legal name in a hand-made contract still works, as for a contract from another copy of Herald.
    const copy = { ...events, specs: new Map([['ok', { name: 'ok', format: 'json', schema: z.string() }]]) }
    expect(encodePayload(copy as never, 'ok' as never, 'x' as never)).toBe('"x"')
    expect(encodePayload(events, 'name', 'x')).toBe('"x"')
  })

  it('copies the map, so later changes to the original do not leak in', () => {
    const original: Record<string, z.ZodType> = { name: z.string() }
    const events = defineEvents(original)
    original['age'] = z.number()
    expect(events.map).not.toBe(original)
    expect(Object.keys(events.map)).toEqual(['name'])
    expect(events.specs.has('age')).toBe(false)
    expect(Object.isFrozen(original)).toBe(false)
  })

  it('holds the very schemas it was given', () => {
    const events = defineEvents(map)
    expect(events.map.name).toBe(map.name)
    expect(events.map.time).toBe(map.time)
  })
})
