// Herald's own wire protocol, declared once for the server that writes it and the clients that
// read it. Control events live in the `herald:` namespace, which `defineEvents` keeps user events
// out of; their `data:` is one line of JSON. docs/protocol.md describes it for non-JS clients.

/** What each control event carries in its `data:` field. */
export interface ControlPayloads {
  /** The first event of every stream: the heartbeat interval to watch (0: none) and the stream's `retry:`. */
  'herald:hello': { readonly heartbeatMs: number; readonly retryMs: number }
  /** Keep-alive on an idle stream; its `data:` is empty. */
  'herald:ping': null
  /** Events after `lastEventId` (the id the client resumed from) may be missing. */
  'herald:gap': { readonly lastEventId: string }
  /** The request was turned away; come back after `retryMs`. The stream then ends. */
  'herald:busy': { readonly retryMs: number }
}

/** The name of a control event. */
export type ControlName = keyof ControlPayloads

/** Every control event name, for readers that listen to each. */
export const CONTROL_NAMES: readonly ControlName[] = Object.freeze([
  'herald:hello',
  'herald:ping',
  'herald:gap',
  'herald:busy',
])

/**
 * The response header on a stream that was turned away before it opened: `busy` (a connection
 * limit or the replay budget) or `closed` (the channel is shutting down). The body still carries
 * a `retry:` (and for `busy` a `herald:busy` event), so a native EventSource comes back too.
 */
export const REFUSED_HEADER = 'herald-refused'

/** Why a stream was turned away, as `Herald-Refused` says. */
export type RefusedReason = 'busy' | 'closed'

/** The most a server may ask a client to wait, in milliseconds: what a timer can take. */
export const MAX_CONTROL_MS = 2 ** 31 - 1

/** The `data:` text of a control event. */
export function encodeControl<TName extends ControlName>(name: TName, payload: ControlPayloads[TName]): string {
  return name === 'herald:ping' ? '' : JSON.stringify(payload)
}

// -0 is read as 0, so a decoded payload is always the canonical value.
const wholeMs = (value: unknown): number | undefined =>
  typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= MAX_CONTROL_MS ? value + 0 : undefined

/**
 * Reads a control event's `data:` text; `undefined` when it is not what the protocol says (a
 * server that is not Herald's, or a hostile one), or when `name` is not a control event. Never throws.
 */
export function decodeControl<TName extends ControlName>(name: TName, data: string): ControlPayloads[TName] | undefined
export function decodeControl(name: ControlName, data: string): ControlPayloads[ControlName] | undefined {
  if (name === 'herald:ping') return null
  let parsed: unknown
  try {
    parsed = JSON.parse(data)
  } catch {
    return undefined
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return undefined
  const field = (key: string): unknown =>
    Object.hasOwn(parsed, key) ? (parsed as Record<string, unknown>)[key] : undefined
  const lastEventId = field('lastEventId')
  const retryMs = wholeMs(field('retryMs'))
  const heartbeatMs = wholeMs(field('heartbeatMs'))
  if (name === 'herald:gap') return typeof lastEventId === 'string' ? { lastEventId } : undefined
  if (retryMs === undefined) return undefined
  if (name === 'herald:busy') return { retryMs }
  if (name === 'herald:hello' && heartbeatMs !== undefined) return { heartbeatMs, retryMs }
  // A reader may pass any `herald:` event it saw: a name this version does not know decodes to
  // nothing, never to another event's payload.
  return undefined
}
