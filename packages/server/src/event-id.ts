/**
 * An SSE event id: `<milliseconds>-<sequence>`, ASCII only, strictly increasing within a channel.
 * Redis stream ids have the same shape, so ids from either engine compare the same way, and the
 * clock part makes ids from before a restart older than any new one rather than colliding.
 */
export type EventId = string & { readonly __brand: 'EventId' }

const ID_PATTERN = /^(0|[1-9]\d{0,19})-(0|[1-9]\d{0,19})$/

/** Reads a client-supplied id (`Last-Event-ID`); anything not shaped like an id is `undefined`. */
export function parseEventId(value: unknown): EventId | undefined {
  return typeof value === 'string' && value.length <= 41 && ID_PATTERN.test(value) ? (value as EventId) : undefined
}

function compareDigits(a: string, b: string): number {
  return a.length - b.length || (a < b ? -1 : a > b ? 1 : 0)
}

/** Orders two ids numerically, part by part, without losing precision past 2^53. */
export function compareEventIds(a: EventId, b: EventId): number {
  const dashA = a.indexOf('-')
  const dashB = b.indexOf('-')
  return compareDigits(a.slice(0, dashA), b.slice(0, dashB)) || compareDigits(a.slice(dashA + 1), b.slice(dashB + 1))
}

/** Makes strictly increasing ids from a clock that may stall or step back. */
export function createIdGenerator(now: () => number = Date.now): () => EventId {
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
    return `${lastMs}-${seq}` as EventId
  }
}
