export type { AnyEvents, EventName, HeraldErrorCode, Payload, SchemaDrift, Topic, TopicRefusal } from '@herald/schema'
export { HeraldError, isHeraldError } from '@herald/schema'
export { createClient } from './client.ts'
export type {
  EventSourceConstructor,
  EventSourceLike,
  HeraldErrorEvent,
  HeraldEventSourceEventMap,
  HeraldEventSourceInit,
  HeraldMessageEvent,
} from './event-source.ts'
export { HeraldEventSource } from './event-source.ts'
export type { SelfCheck, SelfCheckContext, SelfCheckRun } from './self-check.ts'
export { selfCheck } from './self-check.ts'
export type { SharedClientOptions, SharedHeraldClient } from './shared-client.ts'
export { createSharedClient } from './shared-client.ts'
export type {
  ClientOptions,
  ConnectionState,
  EventMeta,
  HeraldClient,
  Listener,
  StreamOptions,
  TicketFunction,
} from './types.ts'
export type {
  AddListenerOptions,
  EventListenerLike,
  HeadersInitLike,
  RemoveListenerOptions,
  StringMessageEvent,
} from './web-types.ts'
