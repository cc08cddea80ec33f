export type { AsyncAPIDocument, AsyncAPIOptions } from './asyncapi.ts'
export { toAsyncAPI } from './asyncapi.ts'
export { decodePayload, encodePayload } from './codec.ts'
export type { DefineEventsOptions } from './define-events.ts'
export { defineEvents, text } from './define-events.ts'
export type { HeraldErrorCode, HeraldErrorDetails } from './errors.ts'
export { HeraldError, isHeraldError } from './errors.ts'
export { assertEventName, eventNameProblem, MAX_EVENT_NAME_LENGTH, RESERVED_PREFIX } from './event-name.ts'
export type { ContractFingerprint } from './fingerprint.ts'
export { fingerprintOf } from './fingerprint.ts'
export type { ControlName, ControlPayloads, RefusedReason, TopicRefusal } from './protocol.ts'
export { CONTROL_NAMES, decodeControl, encodeControl, MAX_CONTROL_MS, REFUSED_HEADER } from './protocol.ts'
export type { DriftNames, SchemaDrift } from './schema-drift.ts'
export { compareFingerprints } from './schema-drift.ts'
export { assertTopic, MAX_TOPIC_LENGTH, topicProblem } from './topic.ts'
export type {
  AnyEventMap,
  AnyEventOf,
  AnyEvents,
  AnyTopicMap,
  EventDefinition,
  EventMapOf,
  EventName,
  EventSpec,
  Events,
  Payload,
  SchemaOf,
  TextEvent,
  Topic,
  TopicMapOf,
  WireFormat,
  WirePayload,
} from './types.ts'
export type { JsonSchema, JsonValue } from './wire-schema.ts'
export { wireSchemaOf } from './wire-schema.ts'
