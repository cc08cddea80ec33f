import { describe, expect, it } from 'vitest'
import * as z from 'zod'
import { encodePayload } from './codec.ts'
import { defineEvents, text } from './define-events.ts'
import { draft07 } from './test-asyncapi.ts'
import type { EventName } from './types.ts'
import { wireSchemaOf } from './wire-schema.ts'

const url = z.codec(z.url(), z.instanceof(URL), { decode: (href) => new URL(href), encode: (value) => value.href })
interface Node {
  name: string
  kids: Node[]
}
const node: z.ZodType<Node> = z.object({ name: z.string(), kids: z.array(z.lazy(() => node)) })
const user = z.object({ id: z.string() }).meta({ id: 'HeraldTestUser' })

const events = defineEvents({
  time: z.date(),
  total: z.bigint(),
  scores: z.map(z.string(), z.number()),
  tags: z.set(z.string()),
  seen: z.map(z.string(), z.set(z.date())),
  link: url,
  shape: z.discriminatedUnion('kind', [
    z.object({ kind: z.literal('at'), at: z.date() }),
    z.object({ kind: z.literal('big'), n: z.bigint() }),
  ]),
  maybe: z.date().nullable(),
  defaulted: z.object({ label: z.string().default('none'), when: z.date().default(new Date(0)) }),
  tree: node,
  users: z.map(z.string(), user),
  count: text(z.coerce.number()),
  day: text(z.coerce.date()),
  mood: text(z.enum(['up', 'down'])),
})

type Name = EventName<typeof events>

// Values each event is emitted with: what encodePayload writes must fit the wire schema.
const samples: { [TName in Name]: unknown[] } = {
  time: [new Date(0), new Date('2026-01-02T03:04:05.678Z')],
  total: [0n, -12n, 2n ** 70n],
  scores: [new Map(), new Map([['a', 1]])],
  tags: [new Set(['x', 'y'])],
  seen: [new Map([['k', new Set([new Date(5)])]])],
  link: [new URL('https://example.com/a?b=1')],
  shape: [
    { kind: 'at', at: new Date(1) },
    { kind: 'big', n: 10n ** 30n },
  ],
  maybe: [null, new Date(2)],
  defaulted: [{ label: 'x', when: new Date(3) }],
  tree: [{ name: 'root', kids: [{ name: 'leaf', kids: [] }] }],
  users: [new Map([['ada', { id: 'ada' }]])],
  count: [24, -1.5, 1e21, 1e-7],
  day: [new Date(4)],
  mood: ['up'],
}

// Values the wire schema must refuse: what the event would never carry as its data.
const wrong: { [TName in Name]?: unknown[] } = {
  time: [0, 'yesterday'],
  total: [12, '1.5', '012'],
  scores: [{ a: 1 }, [['a']], [['a', 'b']]],
  tags: [{}, [1]],
  link: ['not a url', { href: 'https://example.com' }],
  shape: [{ kind: 'at', at: 5 }],
  maybe: [3],
  tree: [{ name: 'root', kids: [{ name: 1, kids: [] }] }],
  users: [[['ada', { id: 1 }]]],
  count: ['24px', ''],
  mood: ['sideways'],
}

function wire(name: Name, value: unknown): unknown {
  const data = encodePayload(events, name, value as never)
  return events.specs.get(name)?.format === 'text' ? data : JSON.parse(data)
}

describe('wireSchemaOf', () => {
  it.each(events.names as Name[])('describes what event %s carries on the wire', (name) => {
    const validate = draft07(wireSchemaOf(events, name))
    for (const value of samples[name])
      expect(validate(wire(name, value)), JSON.stringify(wire(name, value))).toEqual([])
    for (const value of wrong[name] ?? []) expect(validate(value), JSON.stringify(value)).not.toEqual([])
  })

  it('writes Dates, bigints, Maps, Sets and codecs as JSON carries them', () => {
    expect(wireSchemaOf(events, 'time')).toEqual({ type: 'string', format: 'date-time' })
    expect(wireSchemaOf(events, 'total')).toEqual({ type: 'string', pattern: '^-?(0|[1-9]\\d*)$' })
    expect(wireSchemaOf(events, 'tags')).toEqual({ type: 'array', items: { type: 'string' } })
    expect(wireSchemaOf(events, 'scores')).toEqual({
      type: 'array',
      items: {
        type: 'array',
        items: [{ type: 'string' }, { type: 'number' }],
        minItems: 2,
        maxItems: 2,
        additionalItems: false,
      },
    })
    expect(wireSchemaOf(events, 'link')).toMatchObject({ type: 'string', format: 'uri' })
    // Input side: a default makes its field optional on the wire; a Date default travels as ISO text.
    expect(wireSchemaOf(events, 'defaulted')).toMatchObject({
      properties: { when: { default: '1970-01-01T00:00:00.000Z', format: 'date-time' } },
    })
    expect(wireSchemaOf(events, 'defaulted')['required']).toBeUndefined()
  })

  it('writes text events as strings', () => {
    expect(wireSchemaOf(events, 'count')).toMatchObject({ type: 'string', pattern: expect.any(String) })
    expect(wireSchemaOf(events, 'day')).toEqual({ type: 'string', format: 'date-time' })
    expect(wireSchemaOf(events, 'mood')).toEqual({ type: 'string', enum: ['up', 'down'] })
    const literal = defineEvents({ five: text(z.literal(5)), yes: text(z.boolean()) })
    expect(wireSchemaOf(literal, 'five')).toEqual({ type: 'string', const: '5' })
    expect(wireSchemaOf(literal, 'yes')).toEqual({ type: 'string', enum: ['true', 'false'] })
  })

  it('refers to recursion and named schemas inside the document', () => {
    expect(JSON.stringify(wireSchemaOf(events, 'tree'))).toContain('"$ref":"#"')
    const users = wireSchemaOf(events, 'users')
    expect(Object.keys(users['definitions'] as object)).toEqual(['nested1_HeraldTestUser'])
    expect(JSON.stringify(users)).toContain('"$ref":"#/definitions/nested1_HeraldTestUser"')
  })

  it('is the same whatever the key order, sorted, frozen and computed once', () => {
    const a = defineEvents({ p: z.object({ b: z.number(), a: z.string(), c: z.date() }) })
    const b = defineEvents({ p: z.object({ c: z.date(), a: z.string(), b: z.number() }) })
    expect(JSON.stringify(wireSchemaOf(a, 'p'))).toBe(JSON.stringify(wireSchemaOf(b, 'p')))
    expect(JSON.stringify(wireSchemaOf(a, 'p'))).toBe(
      '{"properties":{"a":{"type":"string"},"b":{"type":"number"},"c":{"format":"date-time","type":"string"}},"required":["a","b","c"],"type":"object"}',
    )
    expect(Object.isFrozen(wireSchemaOf(a, 'p')['properties'])).toBe(true)
    expect(wireSchemaOf(a, 'p')).toBe(wireSchemaOf(a, 'p'))
  })

  it('throws UNKNOWN_EVENT for a name not in the contract', () => {
    expect(() => wireSchemaOf(events, 'nope')).toThrow(expect.objectContaining({ code: 'UNKNOWN_EVENT' }))
    expect(() => wireSchemaOf(events, 'toString')).toThrow(expect.objectContaining({ code: 'UNKNOWN_EVENT' }))
  })
})
