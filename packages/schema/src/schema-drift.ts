// How a server's contract differs from a client's, from their fingerprints. Breaking: an event (or
// a topic kind) both have whose schema differs, so its payloads may fail to decode, or decode to
// something else. Compatible: names only one side has. The server having events the client lacks
// is a client older than the server (events were added): they do not reach its listeners, and
// nothing it knows decodes differently. The client having events the server lacks is a client
// newer than the server (a rolling deploy, a rollback) or an event the server dropped: its
// listeners wait for events that do not come, and reloading would not help, so it is not breaking.
import type { ContractFingerprint } from './fingerprint.ts'

/** Names that differ between two sides, in one kind of contract entry. */
export interface DriftNames {
  /** On both sides, with different schemas: the breaking part. */
  readonly changed: readonly string[]
  /** On the server only (added after the client was built). */
  readonly added: readonly string[]
  /** On the client only (removed from the server, or the client is newer). */
  readonly removed: readonly string[]
}

/** How a server's contract differs from a client's; carried by a `SCHEMA_MISMATCH` error. */
export interface SchemaDrift {
  /** `breaking` when something both sides have differs; `compatible` when each side only lacks some names. */
  readonly kind: 'breaking' | 'compatible'
  /** The events that differ. */
  readonly events: DriftNames
  /** The topic kinds that differ. */
  readonly topicKinds: DriftNames
  /** The server's fingerprint. */
  readonly server: string
  /** The client's fingerprint. */
  readonly client: string
}

function compare(
  client: Readonly<Record<string, string>> = {},
  server: Readonly<Record<string, string>> = {},
): DriftNames {
  const has = (record: Readonly<Record<string, string>>, name: string) => Object.hasOwn(record, name)
  return {
    changed: Object.keys(client).filter((name) => has(server, name) && server[name] !== client[name]),
    added: Object.keys(server).filter((name) => !has(client, name)),
    removed: Object.keys(client).filter((name) => !has(server, name)),
  }
}

const isEmpty = ({ changed, added, removed }: DriftNames) => changed.length + added.length + removed.length === 0

/**
 * How `server`'s contract differs from `client`'s; `undefined` when they are the same. Names keep
 * the order of the side they come from: the client's contract for `changed` and `removed`.
 */
export function compareFingerprints(client: ContractFingerprint, server: ContractFingerprint): SchemaDrift | undefined {
  if (client.fingerprint === server.fingerprint) return undefined
  const events = compare(client.events, server.events)
  const topicKinds = compare(client.topicKinds, server.topicKinds)
  if (isEmpty(events) && isEmpty(topicKinds)) return undefined
  const breaking = events.changed.length > 0 || topicKinds.changed.length > 0
  return {
    kind: breaking ? 'breaking' : 'compatible',
    events,
    topicKinds,
    server: server.fingerprint,
    client: client.fingerprint,
  }
}
