// SSE framing. Every function returns the complete bytes of one block, so an event is encoded
// once per emit and the same Buffer is written to every connection. Herald's own control events
// (their names and payloads) are declared once in @herald/schema's protocol module.
import { type ContractFingerprint, type ControlName, type ControlPayloads, encodeControl } from '@herald/schema'

/**
 * One event block: `id:`, `event:`, one `topic:` line per topic the event was sent to (none for
 * a broadcast), then one `data:` line per line of `data`. SSE clients ignore the unknown `topic`
 * field; Herald's own EventSource reads it, so a tab sharing its stream can route the event.
 */
export function formatEvent(id: string, name: string, data: string, topics?: readonly string[]): string {
  // JSON data never holds a raw line break, so the common case is a single data line.
  const body = data.includes('\n') ? data.split('\n').join('\ndata: ') : data
  // Topics hold no control characters (the contract checks them), so each stays on its line.
  let lines = ''
  if (topics !== undefined) for (const topic of topics) lines += `topic: ${topic}\n`
  return `id: ${id}\nevent: ${name}\n${lines}data: ${body}\n\n`
}

/**
 * The bytes of a block kept for later (history replays). Not Buffer.from: a small one is a slice
 * of Node's shared 8 KiB pool, and the history would keep a whole pool block alive for each event.
 */
export function toFrame(text: string): Buffer {
  const frame = Buffer.allocUnsafeSlow(Buffer.byteLength(text))
  frame.write(text)
  return frame
}

/** Fields a control block may carry besides its event: a retry hint and the stream's position. */
export interface ControlFields {
  readonly retryMs?: number | undefined
  readonly id?: string | undefined
}

/** A Herald control event; its `data:` is the protocol's encoding, so it stays on one line. */
export function formatControl<TName extends ControlName>(
  name: TName,
  payload: ControlPayloads[TName],
  { retryMs, id }: ControlFields = {},
): Buffer {
  const retry = retryMs === undefined ? '' : `retry: ${retryMs}\n`
  const position = id === undefined ? '' : `id: ${id}\n`
  const data = encodeControl(name, payload)
  return Buffer.from(`${retry}${position}event: ${name}\ndata:${data === '' ? '' : ` ${data}`}\n\n`)
}

/** What a stream opens with besides its retry and heartbeat: its topics, and where it joined. */
export interface PreludeFields {
  /** The topics the stream joined. */
  readonly topics?: readonly string[] | undefined
  /** The topics it asked for and did not join, each with why. */
  readonly refused?: readonly ControlPayloads['herald:refused'][] | undefined
  /** The channel's newest id, for a new stream (not a resuming one). */
  readonly id?: string | undefined
  /** The fingerprint of the channel's contract, for clients to compare with their own. */
  readonly schema?: ContractFingerprint | undefined
}

/**
 * The block that opens every stream: a comment that flushes proxies, the retry hint, a
 * `herald:hello` event with the heartbeat interval for Herald's client to watch, the topics
 * joined and the contract's fingerprint, then a `herald:refused` event per topic refused. A new
 * stream's hello carries the channel's newest id, so a client cut before its first event still
 * resumes from where it joined.
 */
export function formatPrelude(retryMs: number, heartbeatMs: number, fields: PreludeFields = {}): Buffer {
  const { topics, refused = [], id, schema } = fields
  const hello = {
    heartbeatMs,
    retryMs,
    ...(topics === undefined || topics.length === 0 ? {} : { topics }),
    ...(schema === undefined ? {} : { schema }),
  }
  return Buffer.concat([
    Buffer.from(': herald\n'),
    formatControl('herald:hello', hello, { retryMs, id }),
    ...refused.map((refusal) => formatControl('herald:refused', refusal)),
  ])
}

/** The keep-alive written to idle connections: an event, not a comment, so a page's script can see it. */
export const HEARTBEAT: Buffer = formatControl('herald:ping', null)

/**
 * A reconnection delay spread over [ms, 2·ms), so clients cut off together don't return together.
 * `random` returns a number in [0, 1), as `Math.random` does.
 */
export function jitter(ms: number, random: () => number = Math.random): number {
  return Math.floor(ms + random() * ms)
}
