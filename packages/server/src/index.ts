export { createChannel } from './channel.ts'
export type { ChannelEngine, Replay, StoredEvent } from './engine.ts'
export type { EventId } from './event-id.ts'
export { compareEventIds, createEpoch, epochOf, isEpoch, parseEventId } from './event-id.ts'
export type { MemoryEngineOptions } from './memory-engine.ts'
export { createMemoryEngine } from './memory-engine.ts'
export { mergeEvents } from './merge-events.ts'
export type { StreamAccessOptions } from './stream-access.ts'
export type { TicketClaims, Tickets, TicketsOptions } from './tickets.ts'
export { createTickets } from './tickets.ts'
export type { TopicAccess, TopicRequest } from './topic-access.ts'
export { requestedTopics, resolveTopics } from './topic-access.ts'
export type {
  Channel,
  ChannelOptions,
  ClientKeyRequest,
  EmitArgs,
  StreamAccess,
  StreamRequest,
  StreamResponse,
  StreamTopics,
  TopicEmitter,
} from './types.ts'
