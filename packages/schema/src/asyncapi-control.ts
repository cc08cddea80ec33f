import { type ControlName, MAX_CONTROL_MS } from './protocol.ts'
import { MAX_TOPIC_LENGTH } from './topic.ts'
import type { JsonSchema } from './wire-schema.ts'

// Herald's control events (protocol.ts, docs/protocol.md) as AsyncAPI messages. Typed by
// `ControlName`, so a control event added to the protocol fails to compile here until described.

/** How one control event is described: a one-line summary and its `data:` field's schema. */
export interface ControlMessage {
  readonly summary: string
  readonly contentType: 'application/json' | 'text/plain'
  readonly payload: JsonSchema
}

const ms: JsonSchema = { type: 'integer', minimum: 0, maximum: MAX_CONTROL_MS }
const topic: JsonSchema = { type: 'string', minLength: 1, maxLength: MAX_TOPIC_LENGTH }

/** Each control event's message. Objects stay open: the protocol may add fields; ignore them. */
export const CONTROL_MESSAGES: Readonly<Record<ControlName, ControlMessage>> = {
  'herald:hello': {
    summary:
      'The first event of every stream: reconnect when nothing arrives for 3 × heartbeatMs (when > 0); retryMs is the stream’s retry:.',
    contentType: 'application/json',
    payload: {
      type: 'object',
      required: ['heartbeatMs', 'retryMs'],
      properties: {
        heartbeatMs: ms,
        retryMs: ms,
        topics: { type: 'array', items: topic, description: 'The topics the stream joined.' },
        schema: {
          type: 'object',
          description: 'The fingerprint of the server’s contract.',
          required: ['fingerprint', 'events'],
          properties: {
            fingerprint: { type: 'string' },
            events: { type: 'object', additionalProperties: { type: 'string' } },
            topicKinds: { type: 'object', additionalProperties: { type: 'string' } },
          },
        },
      },
    },
  },
  'herald:ping': {
    summary: 'Keep-alive on an idle stream: count it as activity. Its data is empty.',
    contentType: 'text/plain',
    payload: { type: 'string', maxLength: 0 },
  },
  'herald:gap': {
    summary: 'Events after lastEventId may be missing (of topic only, when present): refetch state, then read on.',
    contentType: 'application/json',
    payload: {
      type: 'object',
      required: ['lastEventId'],
      properties: { lastEventId: { type: 'string', maxLength: 64 }, topic },
    },
  },
  'herald:busy': {
    summary: 'The request was turned away: reconnect after retryMs. The only event of its stream.',
    contentType: 'application/json',
    payload: { type: 'object', required: ['retryMs'], properties: { retryMs: ms } },
  },
  'herald:refused': {
    summary: 'The stream did not join a topic it asked for; do not ask again. The stream carries on.',
    contentType: 'application/json',
    payload: {
      type: 'object',
      required: ['reason', 'topic'],
      properties: { reason: { type: 'string', enum: ['forbidden', 'invalid', 'limit'] }, topic },
    },
  },
}
