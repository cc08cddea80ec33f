import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'
import * as z from 'zod'
import * as zm from 'zod/mini'
import { canonicalSchema } from './canonical-schema.ts'
import { defineEvents, text } from './define-events.ts'
import { fingerprintOf } from './fingerprint.ts'
import { fnv1a64 } from './fnv1a.ts'
import { richContract } from './test-fingerprint-contracts.ts'
import type { AnyEventMap, AnyTopicMap, EventDefinition } from './types.ts'

/** FNV-1a 64 the obvious way, with BigInt, over the UTF-8 bytes: the reference for `fnv1a64`. */
function reference(text: string): string {
  let hash = 0xcbf29ce484222325n
  for (const byte of new TextEncoder().encode(text)) hash = BigInt.asUintN(64, (hash ^ BigInt(byte)) * 0x100000001b3n)
  return hash.toString(16).padStart(16, '0')
}

/** The hash of one event's schema, in a contract of its own. */
const hashOf = (schema: EventDefinition) => fingerprintOf(defineEvents({ e: schema })).events['e']

describe('fnv1a64', () => {
  it('matches the published FNV-1a 64 test vectors', () => {
    expect(fnv1a64('')).toBe('cbf29ce484222325')
    expect(fnv1a64('a')).toBe('af63dc4c8601ec8c')
    expect(fnv1a64('foobar')).toBe('85944171f73967e8')
  })

  it('matches a BigInt implementation over UTF-8, on texts of every kind', () => {
    const texts = ['é', '😀 emoji', '\u0000\uffff', 'x'.repeat(1000), JSON.stringify(richContract().names)]
    for (let seed = 1; seed < 200; seed++) {
      texts.push(
        String.fromCodePoint(
          ...Array.from({ length: seed % 17 }, (_, i) => ((seed * 7919 * (i + 1)) % 0x10ffff) & ~0x800),
        ),
      )
    }
    for (const text of texts) expect(fnv1a64(text), JSON.stringify(text)).toBe(reference(text))
  })
})

describe('fingerprintOf: stable', () => {
  it('is the same for the same contract written in another key order (events, fields, topics)', () => {
    const forward = fingerprintOf(richContract())
    const reverse = fingerprintOf(richContract(true))
    expect(reverse).toEqual(forward)
    expect(Object.keys(reverse.events)).toEqual([...Object.keys(forward.events)].reverse())
    expect(forward.fingerprint).toMatch(/^[0-9a-f]{16}$/)
    for (const hash of Object.values(forward.events)) expect(hash).toMatch(/^[0-9a-f]{16}$/)
  })

  it('is the same in two separate node processes, in either key order, as in this one', async () => {
    const run = promisify(execFile)
    const child = fileURLToPath(new URL('./test-fingerprint-child.ts', import.meta.url))
    const inProcess = fingerprintOf(richContract())
    const outputs = await Promise.all(
      ['forward', 'reverse'].map((order) =>
        run(process.execPath, ['--import', 'tsx', '--conditions=@herald/source', child, order], {
          cwd: import.meta.dirname,
        }),
      ),
    )
    for (const { stdout } of outputs) expect(JSON.parse(stdout)).toEqual(inProcess)
  })

  it('is computed once per contract, and frozen', () => {
    const events = richContract()
    expect(fingerprintOf(events)).toBe(fingerprintOf(events))
    expect(Object.isFrozen(fingerprintOf(events).events)).toBe(true)
  })

  it('does not depend on default values computed by a function, nor on shared versus repeated schemas', () => {
    expect(hashOf(z.date().default(() => new Date()))).toBe(hashOf(z.date().default(() => new Date(0))))
    const shared = z.string().min(2)
    expect(hashOf(z.object({ a: shared, b: shared }))).toBe(
      hashOf(z.object({ a: z.string().min(2), b: z.string().min(2) })),
    )
  })

  it('terminates on recursive schemas, through z.lazy and through getters', () => {
    interface Node {
      next?: Node | undefined
    }
    const viaLazy: z.ZodType<Node> = z.lazy(() => z.object({ next: viaLazy.optional() }))
    const viaGetter = z.object({
      get next() {
        return viaGetter.optional()
      },
    })
    expect(hashOf(viaLazy)).toMatch(/^[0-9a-f]{16}$/)
    expect(hashOf(viaGetter)).toMatch(/^[0-9a-f]{16}$/)
    expect(hashOf(viaGetter)).not.toBe(hashOf(viaLazy))
  })

  it('is the same for zod and zod/mini schemas that mean the same', () => {
    expect(hashOf(zm.string().check(zm.minLength(3)))).toBe(hashOf(z.string().min(3)))
    expect(hashOf(zm.object({ a: zm.optional(zm.boolean()) }))).toBe(hashOf(z.object({ a: z.boolean().optional() })))
  })
})

describe('fingerprintOf: changes with any schema change', () => {
  const base = z.object({ name: z.string().min(1), age: z.number() })
  const variants: [string, z.ZodType | ReturnType<typeof text>][] = [
    ['a check added', z.object({ name: z.string().min(1), age: z.number().int() })],
    ["a check's bound", z.object({ name: z.string().min(2), age: z.number() })],
    ['a field added', z.object({ name: z.string().min(1), age: z.number(), city: z.string() })],
    ['a field made optional', z.object({ name: z.string().min(1), age: z.number().optional() })],
    ['a field made nullable', z.object({ name: z.string().min(1), age: z.number().nullable() })],
    ['a field renamed', z.object({ name: z.string().min(1), years: z.number() })],
    ["a field's type", z.object({ name: z.string().min(1), age: z.bigint() })],
    ['a default', z.object({ name: z.string().min(1), age: z.number().default(0) })],
    ['strict', z.strictObject({ name: z.string().min(1), age: z.number() })],
    ['text on the wire', text(base)],
    ['a regex', z.object({ name: z.string().min(1).regex(/a/), age: z.number() })],
  ]
  it.each(variants)('%s', (_, variant) => {
    expect(hashOf(variant)).not.toBe(hashOf(base))
    expect(fingerprintOf(defineEvents({ e: variant })).fingerprint).not.toBe(
      fingerprintOf(defineEvents({ e: base })).fingerprint,
    )
  })

  it('literals, enums, union order, regex flags and a codec side each count', () => {
    const pairs: [z.ZodType, z.ZodType][] = [
      [z.literal('a'), z.literal('b')],
      [z.literal(1), z.literal(1n)],
      [z.enum(['a', 'b']), z.enum(['a', 'c'])],
      [z.union([z.string(), z.number()]), z.union([z.number(), z.string()])],
      [z.string().regex(/a/), z.string().regex(/a/i)],
      [
        z.codec(z.iso.datetime(), z.date(), { decode: (s) => new Date(s), encode: (d) => d.toISOString() }),
        z.codec(z.iso.date(), z.date(), { decode: (s) => new Date(s), encode: (d) => d.toISOString() }),
      ],
      [z.date().min(new Date(0)), z.date().min(new Date(1))],
    ]
    for (const [a, b] of pairs) expect(canonicalSchema(a)).not.toBe(canonicalSchema(b))
  })

  it('changes with a topic kind, an event name, or an event added', () => {
    const contract = (map: AnyEventMap, topics?: AnyTopicMap) =>
      fingerprintOf(defineEvents(map, { topics })).fingerprint
    const one = contract({ a: z.string() }, { room: z.int() })
    expect(contract({ a: z.string() }, { room: z.string() })).not.toBe(one)
    expect(contract({ a: z.string() }, { hall: z.int() })).not.toBe(one)
    expect(contract({ a: z.string() })).not.toBe(one)
    expect(contract({ b: z.string() }, { room: z.int() })).not.toBe(one)
    expect(contract({ a: z.string(), b: z.string() }, { room: z.int() })).not.toBe(one)
    expect(contract({ a: z.string() }, { room: z.int() })).toBe(one)
  })

  it('leaves out what is code, not data: a refinement body', () => {
    // Documented limit: functions cannot be compared across builds (minifiers rename them).
    expect(hashOf(z.string().refine((s) => s.length > 1))).toBe(hashOf(z.string().refine((s) => s.length > 2)))
  })
})
