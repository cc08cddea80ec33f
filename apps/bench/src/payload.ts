// The event every server sends: about 100 bytes of JSON carrying a sequence number (for loss,
// duplicate and order checks) and the send time (for latency), under the event name `tick`.

/** The payload of one `tick` event. */
export interface TickPayload {
  /** 1, 2, 3, … within one emit phase. */
  seq: number
  /** Send time in microseconds on the machine's monotonic clock (see `nowMicros`). */
  t: number
  /** Filler that brings the JSON to about 100 bytes. */
  pad: string
}

/** The SSE event name every server uses. */
export const EVENT_NAME = 'tick'

const PAD = 'x'.repeat(56)

/** Builds the payload of event `seq`, stamped with the current time. */
export function makePayload(seq: number): TickPayload {
  return { seq, t: nowMicros(), pad: PAD }
}

/**
 * Microseconds on CLOCK_MONOTONIC, which every process on the machine shares, so a timestamp
 * taken in a server can be subtracted from one taken in the load generator.
 */
export function nowMicros(): number {
  const [seconds, nanos] = process.hrtime()
  return seconds * 1e6 + Math.floor(nanos / 1000)
}
