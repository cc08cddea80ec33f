// The contract's fingerprint: what a server advertises in its `herald:hello` so that a client
// built from another contract (a tab left open across a deploy) can tell, and say which events
// differ. Each event and each topic kind gets a short hash of its canonical schema; the whole
// contract gets one hash over those, so it does not depend on the map's key order.
import { canonicalSchema } from './canonical-schema.ts'
import { fnv1a64 } from './fnv1a.ts'
import type { AnyEvents } from './types.ts'

/** A contract's fingerprint, as the server's `herald:hello` carries it in `schema`. */
export interface ContractFingerprint {
  /** One hash of the whole contract: equal fingerprints, equal contracts. */
  readonly fingerprint: string
  /** Each event's hash (its wire format and schema), by name. */
  readonly events: Readonly<Record<string, string>>
  /** Each topic kind's hash (its parameter schema), by kind; absent when the contract declares none. */
  readonly topicKinds?: Readonly<Record<string, string>>
}

/** The longest hash `readFingerprint` accepts: today's are 16 hex digits; room for a later one. */
const MAX_HASH_LENGTH = 64

const cache = new WeakMap<AnyEvents, ContractFingerprint>()

// Sorted by name (UTF-16 code units, as `Array.prototype.sort` does), so key order never matters.
const sorted = (record: Readonly<Record<string, string>>): [string, string][] =>
  Object.entries(record).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))

/** A frozen record of name → hash of `describe(value)`. */
const hashes = <T>(entries: [string, T][], describe: (value: T) => string): Readonly<Record<string, string>> =>
  Object.freeze(Object.fromEntries(entries.map(([name, value]) => [name, fnv1a64(describe(value))])))

/**
 * The fingerprint of a contract: stable across runs, processes and the map's key order; it
 * changes when any event's schema or format, or any topic kind, changes (functions inside a schema
 * — refinements, transforms — and default values excepted). Computed once per contract.
 */
export function fingerprintOf(events: AnyEvents): ContractFingerprint {
  let known = cache.get(events)
  if (known === undefined) {
    const eventHashes = hashes([...events.specs], ({ format, schema }) => `${format}:${canonicalSchema(schema)}`)
    const topicHashes = hashes(Object.entries(events.topics), canonicalSchema)
    const fingerprint = fnv1a64(JSON.stringify([sorted(eventHashes), sorted(topicHashes)]))
    known = Object.freeze({
      fingerprint,
      events: eventHashes,
      ...(Object.keys(topicHashes).length === 0 ? {} : { topicKinds: topicHashes }),
    })
    cache.set(events, known)
  }
  return known
}

const isHash = (value: unknown): value is string =>
  typeof value === 'string' && value.length > 0 && value.length <= MAX_HASH_LENGTH

/** A record of name → hash read from untrusted JSON, own keys only; `undefined` when malformed. */
function readHashes(value: unknown): Record<string, string> | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined
  const entries = Object.entries(value)
  return entries.every(([, hash]) => isHash(hash)) ? Object.fromEntries(entries) : undefined
}

/**
 * Reads a fingerprint from parsed JSON (a hello's `schema`); `undefined` when it is not one.
 * Keys are copied as own data properties, so a `__proto__` event name sets no prototype.
 */
export function readFingerprint(value: unknown): ContractFingerprint | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined
  const field = (key: string): unknown =>
    Object.hasOwn(value, key) ? (value as Record<string, unknown>)[key] : undefined
  const fingerprint = field('fingerprint')
  const events = readHashes(field('events'))
  if (!isHash(fingerprint) || events === undefined) return undefined
  if (field('topicKinds') === undefined) return { fingerprint, events }
  const topicKinds = readHashes(field('topicKinds'))
  return topicKinds === undefined ? undefined : { fingerprint, events, topicKinds }
}
