import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http'
import type { Http2ServerRequest, Http2ServerResponse } from 'node:http2'
import type { AnyEvents, EventName, Payload, Topic, TopicRefusal } from '@herald/schema'
import type { ChannelEngine } from './engine.ts'
import type { EventId } from './event-id.ts'

/** A request a channel serves: `node:http`'s, or that of `node:http2`'s compatibility API. */
export type StreamRequest = IncomingMessage | Http2ServerRequest

/** The response to a `StreamRequest`. */
export type StreamResponse = ServerResponse | Http2ServerResponse

/**
 * What `clientKey` reads of a request: Node's requests have it, and so does the Fetch adapter's
 * view of one (its `socket.remoteAddress` is the handler's `address`).
 */
export interface ClientKeyRequest {
  readonly method?: string | undefined
  /** The request target: path and query. */
  readonly url?: string | undefined
  /** Lower-cased names. */
  readonly headers: IncomingHttpHeaders
  readonly socket: { readonly remoteAddress?: string | undefined }
}

/** Options of `createChannel`. */
export interface ChannelOptions<TPublished extends EventId | Promise<EventId> = EventId> {
  /** Milliseconds between `herald:ping` heartbeats on an idle stream; 0 disables them. @default 15000 */
  heartbeatMs?: number | undefined
  /**
   * The base reconnection delay, in milliseconds. Each stream is sent its own `retry:` in
   * [retryMs, 2·retryMs), so clients cut off together (a crash, a deploy) don't return together.
   * @default 2000
   */
  retryMs?: number | undefined
  /**
   * How many recent events the default in-memory engine keeps for replay; a shorthand for
   * `engine: createMemoryEngine({ historySize })`, so not allowed together with `engine`.
   * @default 1000
   */
  historySize?: number | undefined
  /**
   * Where events are ordered, stored and fanned out. A passed engine is yours: `close()` unsubscribes
   * the channel from it but does not close it, so several channels can share one engine; close it
   * yourself once every channel on it is closed. The default engine is the channel's, closed with it.
   * @default a new in-memory engine
   */
  engine?: ChannelEngine<TPublished> | undefined
  /**
   * The most live events a stream catching up may have queued unsent behind its replay (the
   * replay itself is sent whole, as fast as the client reads) before it is cut off; it resumes
   * when it reconnects. At least the engine's `historySize`. @default 2 × the engine's
   * historySize, and at least 2000
   */
  maxQueuedEvents?: number | undefined
  /** The most streams open at once; more are told to come back later. @default unlimited */
  maxConnections?: number | undefined
  /** The most streams open at once per client key (see `clientKey`). @default unlimited */
  maxConnectionsPerClient?: number | undefined
  /**
   * The key `maxConnectionsPerClient` and `replayBudget` count by. Behind the Fetch adapter it gets
   * a view of the request: `method`, `url`, lower-cased `headers`, and `socket.remoteAddress` (the
   * handler's `address`). @default the socket's remote address; a request without one (a Fetch
   * request given no `address`) is a client of its own, which per-client limits cannot count
   */
  clientKey?: ((req: ClientKeyRequest) => string) | undefined
  /** Unsent bytes a stream may queue before it is cut off (it resumes from history). @default 1048576 */
  maxBufferedBytes?: number | undefined
  /** The largest encoded payload `emit` accepts, in UTF-8 bytes. @default 262144 */
  maxEventBytes?: number | undefined
  /** The base delay, in milliseconds, given to clients turned away at a connection limit; jittered up to 2×. @default 10000 */
  busyRetryMs?: number | undefined
  /**
   * How many events a client key (see `clientKey`) may be replayed from history per
   * `replayWindowMs`, spent and refilled as a token bucket. A replay is always served whole; a
   * client whose budget is spent is turned away like one over a connection limit (`herald:busy`,
   * `Retry-After`) and resumes from its `Last-Event-ID` later, so it never misses an event
   * silently. 0 turns the budget off. @default 10 × historySize (10 whole histories a window)
   */
  replayBudget?: number | undefined
  /** Milliseconds in which a spent replay budget fills up again. @default 60000 */
  replayWindowMs?: number | undefined
}

/** The arguments of `emit` for one event: the payload may be left out when it can be undefined. */
export type EmitArgs<TEvents extends AnyEvents, TName extends EventName<TEvents>> =
  undefined extends Payload<TEvents, TName> ? [payload?: Payload<TEvents, TName>] : [payload: Payload<TEvents, TName>]

/** Emits to some topics only: what `channel.to(topics)` returns. */
export interface TopicEmitter<TEvents extends AnyEvents, TPublished extends EventId | Promise<EventId> = EventId> {
  /** The topics this emitter sends to. */
  readonly topics: readonly Topic<TEvents>[]
  /**
   * Validates and encodes the payload once, gives it the next id and writes it to the streams
   * that joined any of the topics, once each. Throws as `channel.emit` does.
   */
  emit<TName extends EventName<TEvents>>(name: TName, ...payload: EmitArgs<TEvents, TName>): TPublished
}

/** Which topics a stream joins: what `sse()` or your own handler passes to `channel.handle`. */
export interface StreamTopics {
  /** The topics the stream joins (the server's, and the client's it allowed). */
  readonly topics?: readonly string[] | undefined
  /** The topics the client asked for that it does not join, each with why; told to the client. */
  readonly refused?: readonly { readonly topic: string; readonly reason: TopicRefusal }[] | undefined
}

/**
 * A stream's topics as `channel.handle` takes them: decided already, or a function that decides
 * them (maybe asynchronously) once the request holds its slot under the connection limits.
 */
export type StreamAccess = StreamTopics | (() => StreamTopics | Promise<StreamTopics>)

/** A typed event channel: emit events, serve them as SSE streams. */
export interface Channel<TEvents extends AnyEvents, TPublished extends EventId | Promise<EventId> = EventId> {
  /** The contract this channel was created from. */
  readonly events: TEvents
  /** How many streams are open. */
  readonly size: number
  /** True once `close()` was called. */
  readonly closed: boolean
  /**
   * Validates and encodes the payload once, gives it the next id and writes it to every open
   * stream. Throws `INVALID_PAYLOAD`, `UNKNOWN_EVENT`, `EVENT_TOO_LARGE` or `CHANNEL_CLOSED`, and
   * then sends nothing.
   */
  emit<TName extends EventName<TEvents>>(name: TName, ...payload: EmitArgs<TEvents, TName>): TPublished
  /**
   * Emits to `topics` (one, or several at once: an event then reaches each stream once) instead of
   * to every stream. Throws `INVALID_TOPIC` for a topic the contract does not declare.
   */
  to(topics: Topic<TEvents> | readonly Topic<TEvents>[]): TopicEmitter<TEvents, TPublished>
  /**
   * Serves one SSE stream on a Node request: replays what the client missed (from the
   * `Last-Event-ID` header, or a `lastEventId` query parameter on the first request), then live
   * events. A resume point the history no longer covers gets a `herald:gap` event first; a
   * request over a connection limit gets a `herald:busy` event and a long `retry:`, then the end.
   * With `topics`, the stream also receives the events of those topics (and resumes them); each
   * refused topic is told to the client in a `herald:refused` event. Throws `INVALID_TOPIC` for a
   * topic the contract does not declare. `topics` may be a function, called once the request is
   * admitted (so requests waiting on it count toward the connection limits); when it throws,
   * rejects or returns an undeclared topic, the request gets a `500` and no stream.
   */
  handle(req: StreamRequest, res: StreamResponse, topics?: StreamAccess): void
  /**
   * Ends every stream (clients reconnect after `retry`) and stops the channel. Closes the engine
   * only if the channel created it (no `engine` option).
   */
  close(): Promise<void>
}
