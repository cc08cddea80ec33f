// Herald's own wire protocol, declared once for the server that writes it and the clients that
// read it. Control events live in the `herald:` namespace, which `defineEvents` keeps user events
// out of; their `data:` is one line of JSON. docs/protocol.md describes it for non-JS clients.
import { type ContractFingerprint, readFingerprint } from './fingerprint.ts'

/** What each control event carries in its `data:` field. */
export interface ControlPayloads {
  /**
   * The first event of every stream: the heartbeat interval to watch (0: none), the stream's
   * `retry:`, the topics the stream joined (absent when it joined none), and the fingerprint of
   * the server's contract (absent from servers that do not send one).
   */
  'herald:hello': {
    readonly heartbeatMs: number
    readonly retryMs: number
    readonly topics?: readonly string[]
    readonly schema?: ContractFingerprint
  }
  /** Keep-alive on an idle stream; its `data:` is empty. */
  'herald:ping': null
  /**
   * Events after `lastEventId` (the id the client resumed from) may be missing: those of `topic`
   * only, or of the whole stream when `topic` is absent.
   */
  'herald:gap': { readonly lastEventId: string; readonly topic?: string }
  /** The stream did not join `topic`, which the client asked for; its other topics carry on. */
  'herald:refused': { readonly topic: string; readonly reason: TopicRefusal }
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
  'herald:refused',
])

/**
 * Why a stream did not join a topic the client asked for: `forbidden` (the server's `authorize`
 * said no, or a ticket does not cover it), `invalid` (not a topic of the contract) or `limit` (more
 * topics than a stream may join).
 */
export type TopicRefusal = 'forbidden' | 'invalid' | 'limit'

const REFUSALS: readonly string[] = ['forbidden', 'invalid', 'limit']

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
  const topic = field('topic')
  const retryMs = wholeMs(field('retryMs'))
  const heartbeatMs = wholeMs(field('heartbeatMs'))
  const topics = field('topics')
  if (name === 'herald:gap') {
    if (typeof lastEventId !== 'string') return undefined
    if (topic === undefined) return { lastEventId }
    return typeof topic === 'string' ? { lastEventId, topic } : undefined
  }
  if (name === 'herald:refused') {
    const reason = field('reason')
    return typeof topic === 'string' && REFUSALS.includes(reason as string)
      ? { topic, reason: reason as TopicRefusal }
      : undefined
  }
  if (retryMs === undefined) return undefined
  if (name === 'herald:busy') return { retryMs }
  if (name === 'herald:hello' && heartbeatMs !== undefined) {
    if (topics !== undefined && !(Array.isArray(topics) && topics.every((each) => typeof each === 'string'))) {
      return undefined
    }
    const schemaField = field('schema')
    const schema = schemaField === undefined ? undefined : readFingerprint(schemaField)
    if (schemaField !== undefined && schema === undefined) return undefined
    return {
      heartbeatMs,
      retryMs,
      ...(topics === undefined ? {} : { topics: topics as string[] }),
      ...(schema === undefined ? {} : { schema }),
    }
  }
  // A reader may pass any `herald:` event it saw: a name this version does not know decodes to
  // nothing, never to another event's payload.
  return undefined
}
