import { describe, expect, it } from 'vitest'
import * as z from 'zod'
import * as zm from 'zod/mini'
import { type AsyncAPIOptions, toAsyncAPI } from './asyncapi.ts'
import { encodePayload } from './codec.ts'
import { defineEvents, text } from './define-events.ts'
import { CONTROL_NAMES, encodeControl } from './protocol.ts'
import { asyncAPIErrors, payloadValidator } from './test-asyncapi.ts'
import type { AnyEvents } from './types.ts'

const options: AsyncAPIOptions = { title: 'Test', version: '1.2.3', host: 'localhost:3000' }

interface Node {
  name: string
  kids: Node[]
}
const node: z.ZodType<Node> = z.object({ name: z.string(), kids: z.array(z.lazy(() => node)) })
const user = z.object({ id: z.string() }).meta({ id: 'HeraldAsyncTestUser', description: 'A user' })

const contracts: Record<string, AnyEvents> = {
  plain: defineEvents({ name: z.string(), age: z.number().int() }),
  rich: defineEvents({
    time: z.date().describe('The server clock'),
    total: z.bigint(),
    scores: z.map(z.string(), z.number()),
    tags: z.set(z.string()),
    link: z.codec(z.url(), z.instanceof(URL), { decode: (href) => new URL(href), encode: (value) => value.href }),
    shape: z.union([z.object({ at: z.date() }), z.object({ n: z.bigint() }), z.string()]),
    tree: node,
    users: z.map(z.string(), user),
    pair: z.object({ a: user, b: user }),
  }),
  text: defineEvents({ count: text(z.coerce.number()), mood: text(z.enum(['up', 'down'])), raw: text(z.string()) }),
  topics: defineEvents(
    { message: z.object({ text: z.string() }) },
    { topics: { room: z.enum(['lobby', 'dev']), user: z.string().min(1), page: z.int() } },
  ),
  'odd names': defineEvents({
    'user:joined': z.string(),
    user_joined: z.number(),
    'a b': z.null(),
    'x.y-z': z.boolean(),
  }),
  mini: defineEvents({ age: zm.number(), when: zm.date() }),
}

/** The value at a local `$ref` (`#/a/b`) of `document`, or undefined when it leads nowhere. */
function resolve(document: unknown, ref: string): unknown {
  let at: unknown = document
  for (const part of ref.slice(2).split('/')) {
    const key = part.replaceAll('~1', '/').replaceAll('~0', '~')
    at =
      typeof at === 'object' && at !== null && Object.hasOwn(at, key) ? (at as Record<string, unknown>)[key] : undefined
  }
  return at
}

function refs(value: unknown, found: string[] = []): string[] {
  if (Array.isArray(value)) for (const each of value) refs(each, found)
  else if (typeof value === 'object' && value !== null) {
    for (const [key, field] of Object.entries(value)) {
      if (key === '$ref' && typeof field === 'string') found.push(field)
      else refs(field, found)
    }
  }
  return found
}

type Messages = Record<string, { name: string; contentType: string; payload: { $ref: string } }>

describe('toAsyncAPI', () => {
  it.each(Object.entries(contracts))('makes a valid AsyncAPI 3.0.0 document: %s', (_, events) => {
    const document = toAsyncAPI(events, options)
    expect(asyncAPIErrors(document)).toEqual([])
    // The official schema cannot tell where a $ref leads: every one must lead somewhere.
    for (const ref of refs(document)) expect(resolve(document, ref), ref).toBeDefined()
    const messages = document['components'] as { messages: Messages }
    const names = Object.values(messages.messages).map((message) => message.name)
    expect(names.sort()).toEqual([...events.names, ...CONTROL_NAMES].sort())
  })

  it('holds one message per event, its payload what travels', () => {
    const events = contracts['rich'] as AnyEvents
    const document = toAsyncAPI(events, options)
    const { messages } = document['components'] as { messages: Messages }
    const samples: Record<string, unknown> = {
      time: new Date(0),
      total: 2n ** 64n,
      scores: new Map([['a', 1]]),
      tags: new Set(['t']),
      link: new URL('https://example.com/'),
      shape: { n: 5n },
      tree: { name: 'a', kids: [{ name: 'b', kids: [] }] },
      users: new Map([['ada', { id: 'ada' }]]),
      pair: { a: { id: 'a' }, b: { id: 'b' } },
    }
    for (const [name, value] of Object.entries(samples)) {
      const message = messages[name]
      expect(message).toMatchObject({ name, contentType: 'application/json' })
      const validate = payloadValidator(document, name)
      expect(validate(JSON.parse(encodePayload(events, name, value as never)))).toEqual([])
      expect(validate(12345), name).not.toEqual([]) // no event here travels as a number
    }
    expect(messages['time']).toMatchObject({ description: 'The server clock' })
    expect(resolve(document, '#/components/schemas/time')).toEqual({
      type: 'string',
      format: 'date-time',
      description: 'The server clock',
    })
  })

  it('describes text events as text/plain strings', () => {
    const document = toAsyncAPI(contracts['text'] as AnyEvents, options)
    const { messages } = document['components'] as { messages: Messages }
    expect(messages['count']).toMatchObject({ contentType: 'text/plain' })
    expect(payloadValidator(document, 'count')('24')).toEqual([])
    expect(payloadValidator(document, 'count')('24px')).not.toEqual([])
    expect(payloadValidator(document, 'mood')('sideways')).not.toEqual([])
    expect(document['defaultContentType']).toBe('application/json')
  })

  it('describes the control events as messages', () => {
    const document = toAsyncAPI(contracts['plain'] as AnyEvents, options)
    const { messages } = document['components'] as { messages: Messages }
    expect(messages['herald_hello']).toMatchObject({ name: 'herald:hello', contentType: 'application/json' })
    expect(messages['herald_ping']).toMatchObject({ name: 'herald:ping', contentType: 'text/plain' })
    const valid = (key: string, data: string) =>
      payloadValidator(document, key)(key === 'herald_ping' ? data : JSON.parse(data))
    expect(
      valid('herald_hello', encodeControl('herald:hello', { heartbeatMs: 15_000, retryMs: 2000, topics: ['a:b'] })),
    ).toEqual([])
    expect(valid('herald_hello', '{"heartbeatMs":-1,"retryMs":1}')).not.toEqual([])
    expect(valid('herald_ping', encodeControl('herald:ping', null))).toEqual([])
    expect(valid('herald_gap', encodeControl('herald:gap', { lastEventId: 'x-1-0', topic: 'room:1' }))).toEqual([])
    expect(valid('herald_busy', encodeControl('herald:busy', { retryMs: 100 }))).toEqual([])
    expect(valid('herald_refused', encodeControl('herald:refused', { topic: 'room:1', reason: 'limit' }))).toEqual([])
    expect(valid('herald_refused', '{"topic":"room:1","reason":"nope"}')).not.toEqual([])
  })

  it('describes the server, the channel, the receive operation and its query', () => {
    const document = toAsyncAPI(contracts['topics'] as AnyEvents, {
      ...options,
      description: 'A chat',
      protocol: 'https',
      pathname: '/api',
      path: '/stream',
      tickets: true,
    })
    expect(document).toMatchObject({
      asyncapi: '3.0.0',
      info: { title: 'Test', version: '1.2.3', description: 'A chat' },
      servers: { server: { host: 'localhost:3000', protocol: 'https', pathname: '/api' } },
      channels: { stream: { address: '/stream' } },
      operations: { receiveEvents: { action: 'receive', channel: { $ref: '#/channels/stream' } } },
    })
    expect(resolve(document, '#/operations/receiveEvents/messages')).toHaveLength(1 + CONTROL_NAMES.length)
    expect(resolve(document, '#/operations/receiveEvents/bindings/http/method')).toBe('GET')
    const query = resolve(document, '#/operations/receiveEvents/bindings/http/query/properties') as object
    expect(Object.keys(query).sort()).toEqual(['lastEventId', 'ticket', 'topic'])
    expect(resolve(document, '#/channels/stream/x-herald-topics')).toEqual({
      page: { type: 'string', pattern: '^-?\\d+(\\.\\d+)?(e[+-]\\d+)?$' },
      room: { type: 'string', enum: ['lobby', 'dev'] },
      user: { type: 'string', minLength: 1 },
    })
    expect(resolve(document, '#/operations/receiveEvents/bindings/http/query/properties/topic/items')).toEqual({
      anyOf: [
        { type: 'string', pattern: '^page:' },
        { type: 'string', enum: ['room:lobby', 'room:dev'] },
        { type: 'string', pattern: '^user:' },
      ],
      maxLength: 128,
    })
    const plain = toAsyncAPI(contracts['plain'] as AnyEvents, options)
    expect(plain).toMatchObject({
      servers: { server: { protocol: 'http' } },
      channels: { stream: { address: '/events' } },
    })
    expect(JSON.stringify(plain)).not.toContain('x-herald-topics')
    expect(resolve(plain, '#/operations/receiveEvents/bindings/http/query/properties/topic')).toBeUndefined()
  })

  it('gives every name a key AsyncAPI allows, each its own, whatever the order', () => {
    const document = toAsyncAPI(contracts['odd names'] as AnyEvents, options)
    const { messages } = document['components'] as { messages: Messages }
    expect(Object.fromEntries(Object.entries(messages).map(([key, message]) => [message.name, key]))).toMatchObject({
      'user:joined': 'user_joined_2',
      user_joined: 'user_joined',
      'a b': 'a_b',
      'x.y-z': 'x.y-z',
    })
  })

  it('is the same document whatever the key order of the map', () => {
    const a = defineEvents(
      { b: z.object({ y: z.date(), x: z.number() }), a: z.string() },
      { topics: { t: z.int(), s: z.string() } },
    )
    const b = defineEvents(
      { a: z.string(), b: z.object({ x: z.number(), y: z.date() }) },
      { topics: { s: z.string(), t: z.int() } },
    )
    expect(JSON.stringify(toAsyncAPI(a, options))).toBe(JSON.stringify(toAsyncAPI(b, options)))
    expect(Object.keys(toAsyncAPI(a, options))).toEqual([
      'asyncapi',
      'channels',
      'components',
      'defaultContentType',
      'info',
      'operations',
      'servers',
    ])
  })

  it('refuses bad options with INVALID_OPTIONS', () => {
    const events = contracts['plain'] as AnyEvents
    const bad = [
      { ...options, title: '' },
      { ...options, host: 3 },
      { ...options, path: 'events' },
      { ...options, protocol: 'ws' },
      null,
    ]
    for (const each of bad) {
      expect(() => toAsyncAPI(events, each as AsyncAPIOptions)).toThrow(
        expect.objectContaining({ code: 'INVALID_OPTIONS' }),
      )
    }
  })
})
