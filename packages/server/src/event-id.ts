/**
 * An SSE event id: `<epoch>-<ms>-<seq>`, ASCII only. The epoch (1–16 of `[A-Za-z0-9]`) names the
 * stored log that issued the id; `<ms>-<seq>` is the position in that log, strictly increasing,
 * and has the shape of a Redis stream id. Positions are only comparable within one epoch: an id of
 * another epoch, or of none (`<ms>-<seq>`, as before epochs), is never taken as known, whatever
 * the clocks of the processes that issued them did.
 */
export type EventId = string & { readonly __brand: 'EventId' }

// The epoch comes first: an id names its log, then its position, and still ends in its sequence.
const ID_PATTERN = /^(?:[A-Za-z0-9]{1,16}-)?(?:0|[1-9]\d{0,19})-(?:0|[1-9]\d{0,19})$/
const EPOCH_PATTERN = /^[A-Za-z0-9]{1,16}$/
const MAX_ID_LENGTH = 16 + 1 + 20 + 1 + 20
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'

/**
 * Reads a client-supplied id (`Last-Event-ID`); anything not shaped like an id is `undefined`. An
 * id without an epoch (`<ms>-<seq>`) parses, so that an engine can answer it with a gap.
 */
export function parseEventId(value: unknown): EventId | undefined {
  return typeof value === 'string' && value.length <= MAX_ID_LENGTH && ID_PATTERN.test(value)
    ? (value as EventId)
    : undefined
}

/** The epoch of an id, or `undefined` for an id without one. */
export function epochOf(id: EventId): string | undefined {
  const last = id.lastIndexOf('-')
  const dash = id.lastIndexOf('-', last - 1)
  return dash === -1 ? undefined : id.slice(0, dash)
}

/** True when `value` can be an epoch: 1 to 16 ASCII letters and digits. */
export function isEpoch(value: unknown): value is string {
  return typeof value === 'string' && EPOCH_PATTERN.test(value)
}

/**
 * A new random epoch: 8 letters and digits (about 47 bits), so two engines, or one engine before
 * and after a restart, practically never share one.
 */
export function createEpoch(): string {
  let epoch = ''
  const bytes = new Uint8Array(16)
  while (epoch.length < 8) {
    crypto.getRandomValues(bytes)
    // 62 of 64 values map evenly onto the alphabet; the other two are drawn again.
    for (const byte of bytes) if ((byte & 63) < 62 && epoch.length < 8) epoch += ALPHABET[byte & 63]
  }
  return epoch
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}

function compareDigits(a: string, b: string): number {
  return a.length - b.length || compareText(a, b)
}

/**
 * Orders two ids numerically by position (milliseconds, then sequence), without losing precision
 * past 2^53; equal positions of different epochs are ordered by epoch, so 0 means the same id.
 * Positions of different epochs say nothing about which event came first.
 */
export function compareEventIds(a: EventId, b: EventId): number {
  const seqA = a.lastIndexOf('-')
  const seqB = b.lastIndexOf('-')
  const msA = a.lastIndexOf('-', seqA - 1)
  const msB = b.lastIndexOf('-', seqB - 1)
  return (
    compareDigits(a.slice(msA + 1, seqA), b.slice(msB + 1, seqB)) ||
    compareDigits(a.slice(seqA + 1), b.slice(seqB + 1)) ||
    compareText(msA === -1 ? '' : a.slice(0, msA), msB === -1 ? '' : b.slice(0, msB))
  )
}

/** Makes strictly increasing ids of `epoch` from a clock that may stall or step back. */
export function createIdGenerator(epoch: string, now: () => number = Date.now): () => EventId {
  let lastMs = 0
  let seq = 0
  return () => {
    const ms = now()
    if (ms > lastMs) {
      lastMs = ms
      seq = 0
    } else {
      seq += 1
    }
    return `${epoch}-${lastMs}-${seq}` as EventId
  }
}
