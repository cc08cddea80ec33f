import { describe, expect, it } from 'vitest'
import * as z from 'zod'
import { defineEvents, text } from './define-events.ts'
import { fingerprintOf } from './fingerprint.ts'
import { compareFingerprints } from './schema-drift.ts'

const v1 = defineEvents(
  { name: z.string(), age: z.number().int(), old: z.boolean(), line: text(z.string()) },
  { topics: { room: z.int() } },
)

describe('compareFingerprints', () => {
  it('finds no drift between equal contracts, built twice or in another order', () => {
    const again = defineEvents(
      { line: text(z.string()), old: z.boolean(), age: z.number().int(), name: z.string() },
      { topics: { room: z.int() } },
    )
    expect(compareFingerprints(fingerprintOf(v1), fingerprintOf(again))).toBeUndefined()
    expect(compareFingerprints(fingerprintOf(v1), fingerprintOf(v1))).toBeUndefined()
  })

  it('an event both have, with another schema, is breaking, and named', () => {
    const server = defineEvents(
      { name: z.string(), age: z.number(), old: z.boolean(), line: z.string() },
      { topics: { room: z.int() } },
    )
    const drift = compareFingerprints(fingerprintOf(v1), fingerprintOf(server))
    expect(drift).toEqual({
      kind: 'breaking',
      events: { changed: ['age', 'line'], added: [], removed: [] },
      topicKinds: { changed: [], added: [], removed: [] },
      server: fingerprintOf(server).fingerprint,
      client: fingerprintOf(v1).fingerprint,
    })
  })

  it('events only one side has are compatible: added on the server, or removed from it', () => {
    const server = defineEvents(
      { name: z.string(), age: z.number().int(), line: text(z.string()), score: z.number() },
      { topics: { room: z.int() } },
    )
    const drift = compareFingerprints(fingerprintOf(v1), fingerprintOf(server))
    expect(drift?.kind).toBe('compatible')
    expect(drift?.events).toEqual({ changed: [], added: ['score'], removed: ['old'] })
  })

  it('topic kinds: another parameter schema is breaking, a kind added is compatible', () => {
    const changed = defineEvents(v1.map, { topics: { room: z.string() } })
    expect(compareFingerprints(fingerprintOf(v1), fingerprintOf(changed))).toMatchObject({
      kind: 'breaking',
      events: { changed: [], added: [], removed: [] },
      topicKinds: { changed: ['room'], added: [], removed: [] },
    })
    const added = defineEvents(v1.map, { topics: { room: z.int(), user: z.string() } })
    expect(compareFingerprints(fingerprintOf(v1), fingerprintOf(added))).toMatchObject({
      kind: 'compatible',
      topicKinds: { changed: [], added: ['user'], removed: [] },
    })
    const none = defineEvents(v1.map)
    expect(compareFingerprints(fingerprintOf(v1), fingerprintOf(none))?.topicKinds.removed).toEqual(['room'])
  })

  it('a fingerprint that differs over the same hashes (a hostile or newer server) is no drift', () => {
    expect(compareFingerprints(fingerprintOf(v1), { ...fingerprintOf(v1), fingerprint: 'other' })).toBeUndefined()
  })

  it('an event named __proto__ is compared as a name like any other', () => {
    const client = { fingerprint: 'a', events: JSON.parse('{"__proto__":"1","x":"2"}') }
    const server = { fingerprint: 'b', events: JSON.parse('{"__proto__":"3"}') }
    expect(compareFingerprints(client, server)?.events).toEqual({ changed: ['__proto__'], added: [], removed: ['x'] })
  })
})
