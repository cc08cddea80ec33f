export { decodePayload, encodePayload } from './codec.ts'
export { defineEvents, text } from './define-events.ts'
export type { HeraldErrorCode, HeraldErrorDetails } from './errors.ts'
export { HeraldError, isHeraldError } from './errors.ts'
export { assertEventName, eventNameProblem, MAX_EVENT_NAME_LENGTH, RESERVED_PREFIX } from './event-name.ts'
export type { ControlName, ControlPayloads, RefusedReason } from './protocol.ts'
export { CONTROL_NAMES, decodeControl, encodeControl, MAX_CONTROL_MS, REFUSED_HEADER } from './protocol.ts'
export type {
  AnyEventMap,
  AnyEventOf,
  AnyEvents,
  EventDefinition,
  EventMapOf,
  EventName,
  EventSpec,
  Events,
  Payload,
  SchemaOf,
  TextEvent,
  WireFormat,
  WirePayload,
} from './types.ts'
