// Schema drift: compares the contract the server advertises in its hello with the client's own,
// and reports a difference once per change of the server's contract, not on every reconnect to
// the same server. The client's fingerprint is computed on the first hello that carries one.

import type { SchemaDrift } from '@herald/schema'
import {
  type AnyEvents,
  type ContractFingerprint,
  compareFingerprints,
  fingerprintOf,
  HeraldError,
} from '@herald/schema'

/** Names in a message: at most 10, each cut to 128 characters, as a hostile server may send any. */
function list(names: readonly string[]): string {
  const shown = names.slice(0, 10).map((name) => JSON.stringify(name.slice(0, 128)))
  return names.length > 10 ? `${shown.join(', ')} and ${names.length - 10} more` : shown.join(', ')
}

const sides = { changed: 'changed', added: 'server-only', removed: 'client-only' } as const

/** One line on how the server's contract differs, the breaking part first: `changed events "age"; server-only events "score"`. */
function describeDrift(drift: SchemaDrift): string {
  const parts: string[] = []
  for (const side of ['changed', 'added', 'removed'] as const) {
    for (const what of ['events', 'topicKinds'] as const) {
      const names = drift[what][side]
      if (names.length > 0) parts.push(`${sides[side]} ${what === 'events' ? 'events' : 'topic kinds'} ${list(names)}`)
    }
  }
  return parts.join('; ')
}

/**
 * Returns the check the client runs on each hello's `schema`: it reports `SCHEMA_MISMATCH` when
 * the server's contract differs from `events`, once until the server's fingerprint changes again
 * (a hello that matches, or none, arms it again). Decoding is not affected.
 */
export function createSchemaCheck(
  events: AnyEvents,
  shown: string,
  report: (error: HeraldError) => void,
): (schema: ContractFingerprint | undefined) => void {
  let reported: string | undefined
  return (schema) => {
    const drift = schema === undefined ? undefined : compareFingerprints(fingerprintOf(events), schema)
    if (drift === undefined || schema === undefined) {
      reported = undefined
      return
    }
    if (reported === schema.fingerprint) return
    reported = schema.fingerprint
    report(
      new HeraldError(
        'SCHEMA_MISMATCH',
        `${shown}: the server's contract differs from this client's (${drift.kind}): ${describeDrift(drift)}`,
        {
          drift,
          event: drift.events.changed[0],
        },
      ),
    )
  }
}
