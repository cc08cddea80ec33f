import type * as z4 from 'zod/v4/core'
import type { SchemaDrift } from './schema-drift.ts'

/**
 * Every failure Herald reports, by stable code.
 * - `INVALID_EVENT_NAME`: a name that cannot be framed as an SSE `event:` field.
 * - `UNKNOWN_EVENT`: a name that is not in the event map.
 * - `INVALID_PAYLOAD`: `emit` got a payload its schema rejects, or one the wire cannot carry.
 * - `DECODE_FAILED`: a received payload is not valid JSON or fails its schema.
 * - `LISTENER_FAILED`: a listener threw; other listeners still ran.
 * - `CHANNEL_CLOSED`: the channel or client was used after `close()`.
 * - `INVALID_OPTIONS`: an option is out of range or of the wrong type.
 * - `CONNECTION_FAILED`: the stream was refused for good (HTTP status, content type); not retried.
 * - `CONNECTION_LOST`: the connection dropped or went silent; the client is reconnecting.
 * - `HISTORY_GAP`: the server no longer holds every event since the client's last id; refetch state.
 * - `OVER_CAPACITY`: the server turned the client away (connection limit, shutdown); it retries later by itself.
 * - `EVENT_TOO_LARGE`: an emitted event is larger than the channel's `maxEventBytes`.
 * - `INVALID_TOPIC`: a topic the contract does not declare, or whose parameter its schema rejects.
 * - `TOPIC_REFUSED`: the server refused a topic the client asked for; its other topics carry on.
 * - `TICKET_REFUSED`: a stream ticket is forged, expired, used twice or for other topics.
 * - `ENGINE_UNAVAILABLE`: the channel's engine (a shared log such as Redis) cannot take the event now; nothing was sent.
 * - `DEPLOY_WARNING`: the client's `selfCheck` saw events arrive batched, or a proxy cutting idle streams; a warning, the stream carries on.
 * - `SCHEMA_MISMATCH`: the server's contract differs from the client's (`drift` says how); the stream carries on.
 */
export type HeraldErrorCode =
  | 'INVALID_EVENT_NAME'
  | 'UNKNOWN_EVENT'
  | 'INVALID_PAYLOAD'
  | 'DECODE_FAILED'
  | 'LISTENER_FAILED'
  | 'CHANNEL_CLOSED'
  | 'INVALID_OPTIONS'
  | 'CONNECTION_FAILED'
  | 'CONNECTION_LOST'
  | 'HISTORY_GAP'
  | 'OVER_CAPACITY'
  | 'EVENT_TOO_LARGE'
  | 'INVALID_TOPIC'
  | 'TOPIC_REFUSED'
  | 'TICKET_REFUSED'
  | 'ENGINE_UNAVAILABLE'
  | 'DEPLOY_WARNING'
  | 'SCHEMA_MISMATCH'

/** What a `HeraldError` carries besides its message. */
export interface HeraldErrorDetails {
  /** The event the error concerns, when there is one. */
  readonly event?: string | undefined
  /** The topic the error concerns, when there is one. */
  readonly topic?: string | undefined
  /** The zod issues behind an `INVALID_PAYLOAD` or `DECODE_FAILED` error. */
  readonly issues?: readonly z4.$ZodIssue[] | undefined
  /** The HTTP status behind a `CONNECTION_FAILED` error, when the server answered. */
  readonly status?: number | undefined
  /** How the server's contract differs from the client's, on a `SCHEMA_MISMATCH` error. */
  readonly drift?: SchemaDrift | undefined
  /** The underlying error. */
  readonly cause?: unknown
}

const brand = Symbol.for('herald.error')

/** The one error class Herald throws or reports; switch on `code`. */
export class HeraldError extends Error {
  override readonly name = 'HeraldError'
  readonly code: HeraldErrorCode
  readonly event: string | undefined
  readonly topic: string | undefined
  readonly issues: readonly z4.$ZodIssue[]
  readonly status: number | undefined
  /** How the server's contract differs from the client's, on a `SCHEMA_MISMATCH` error. */
  readonly drift: SchemaDrift | undefined
  readonly [brand] = true

  constructor(code: HeraldErrorCode, message: string, details: HeraldErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause })
    this.code = code
    this.event = details.event
    this.topic = details.topic
    this.issues = details.issues ?? []
    this.status = details.status
    this.drift = details.drift
  }
}

/** True for a `HeraldError`, also one from another copy of the package or another realm. */
export function isHeraldError(value: unknown): value is HeraldError {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[brand] === true
}

/** Formats zod issues as one line: `expected number, received string at 'user.age'`. */
export function describeIssues(issues: readonly z4.$ZodIssue[]): string {
  return issues
    .map((issue) => {
      const message = issue.message.replace(/^Invalid input: /, '')
      return issue.path.length === 0 ? message : `${message} at '${issue.path.map(String).join('.')}'`
    })
    .join('; ')
}
