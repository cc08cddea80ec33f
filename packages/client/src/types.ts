import type { AnyEvents, EventName, Events, HeraldError, Payload, Topic } from '@herald/schema'
import type { EventSourceConstructor, HeraldEventSourceInit } from './event-source.ts'
import type { SelfCheck } from './self-check.ts'

/**
 * Where a client's connection stands: opening (for the first time, or again with a new set of
 * topics after `subscribe` or `unsubscribe`), open, lost and retrying, or closed for good (by
 * `close()`, an HTTP 204, or a failure the spec does not retry).
 */
export type ConnectionState = 'connecting' | 'open' | 'reconnecting' | 'closed'

/**
 * Options of `createClient`. `TEvents` types `topics`; the default is a contract without topics,
 * so `ClientOptions` alone fits every client that asks for none.
 */
export interface ClientOptions<TEvents extends AnyEvents = Events> {
  /**
   * The EventSource implementation. Defaults to the runtime's own (browsers) and to Herald's
   * spec-compliant fetch-based one where there is none (Node) or when `headers` or `fetch` are given.
   * Browser bundles leave Herald's out: pass `HeraldEventSource` here to use `headers` or `fetch`.
   */
  EventSource?: EventSourceConstructor | undefined
  /** Send cookies on cross-origin requests. @default false */
  withCredentials?: boolean | undefined
  /** Request headers, or a function that returns them before every (re)connect; uses Herald's EventSource. */
  headers?: HeraldEventSourceInit['headers'] | undefined
  /** The `fetch` behind Herald's EventSource. @default globalThis.fetch */
  fetch?: HeraldEventSourceInit['fetch'] | undefined
  /**
   * Resume after this event id: sent as the `lastEventId` query parameter of the first request,
   * which Herald's server reads when there is no `Last-Event-ID` header.
   */
  lastEventId?: string | undefined
  /**
   * Topics to ask the server for, besides those it joins the stream to itself; repeats are
   * dropped. Each is checked against the contract (`INVALID_TOPIC`) and sent as a `topic` query
   * parameter, in order. One the server refuses is reported as `TOPIC_REFUSED` and not asked for
   * again; the others carry on.
   */
  topics?: readonly Topic<TEvents>[] | undefined
  /**
   * Returns a fresh stream ticket (from an authenticated request), sent as the `ticket` query
   * parameter. It is called before every connection, the first and each reconnect, with the
   * topics that connection is about to ask for (the `topic` parameters of its URL, after any
   * `subscribe` or `unsubscribe`), so the ticket can name exactly those; a function that ignores
   * them works too. The client reconnects by itself rather than leave it to the EventSource. If
   * it throws or rejects, the client reports `CONNECTION_LOST` and tries again after the backoff.
   */
  ticket?: TicketFunction<Topic<TEvents>> | undefined
  /**
   * A development check of what sits between server and client: pass `selfCheck` (imported from
   * `@herald/client`) to have events arriving batched, or a proxy's idle timeout shorter than the
   * heartbeat, reported once each to `onError` as `DEPLOY_WARNING`. Off by default; `false` is off,
   * so `process.env.NODE_ENV !== 'production' && selfCheck` leaves it out of a production bundle.
   */
  selfCheck?: SelfCheck | false | undefined
}

/**
 * The `ticket` option: given the topics the connection is about to ask for, returns a fresh stream
 * ticket, or a promise of one.
 */
export type TicketFunction<TTopic extends string = string> = (topics: readonly TTopic[]) => string | Promise<string>

/** What a listener learns about the event besides its payload. */
export interface EventMeta<TName extends string = string> {
  readonly name: TName
  /** The stream's last event id when the event arrived. */
  readonly lastEventId: string
}

/** A listener of one event: receives the decoded, validated payload. */
export type Listener<TEvents extends AnyEvents, TName extends EventName<TEvents>> = (
  payload: Payload<TEvents, TName>,
  meta: EventMeta<TName>,
) => void

/** Options of `client.stream`. */
export interface StreamOptions {
  /** Ends the iteration when aborted. */
  signal?: AbortSignal | undefined
}

/** A typed client of one Herald stream. Lifecycle hooks are methods, apart from event names. */
export interface HeraldClient<TEvents extends AnyEvents> {
  /** The contract this client was created from. */
  readonly events: TEvents
  readonly url: string
  readonly state: ConnectionState
  /** The id of the last event received, sent as `Last-Event-ID` on reconnect. */
  readonly lastEventId: string
  /**
   * The topics the stream joined, as the server's `herald:hello` said: those it joined by itself
   * and those asked for that it accepted. [] before the first hello; each hello replaces it.
   */
  readonly topics: readonly Topic<TEvents>[]
  /**
   * Asks for `topic` too: the client reconnects at once with the new set of topics from its last
   * event id, so the stream's other topics lose nothing (calls in one tick make one reconnect;
   * `state` goes `connecting`, then `open`). Throws `INVALID_TOPIC` for a topic not in the
   * contract and `CHANNEL_CLOSED` after `close()`; a topic asked for already changes nothing.
   */
  subscribe(topic: Topic<TEvents>): void
  /**
   * Stops asking for `topic`, reconnecting as `subscribe` does. Does nothing for a topic not asked
   * for (the server's own topics cannot be left) or after `close()`; throws `INVALID_TOPIC` for a
   * topic not in the contract.
   */
  unsubscribe(topic: Topic<TEvents>): void
  /** Calls `listener` with each valid `name` event; returns the function that removes it. */
  on<TName extends EventName<TEvents>>(name: TName, listener: Listener<TEvents, TName>): () => void
  /** Like `on`, for the next `name` event only. */
  once<TName extends EventName<TEvents>>(name: TName, listener: Listener<TEvents, TName>): () => void
  /** Removes a listener added with `on` or `once`. */
  off<TName extends EventName<TEvents>>(name: TName, listener: Listener<TEvents, TName>): void
  /** The `name` events as an async iterator; ends on `close()`, on `signal` or on `break`. */
  stream<TName extends EventName<TEvents>>(
    name: TName,
    options?: StreamOptions,
  ): AsyncIterableIterator<Payload<TEvents, TName>>
  /** Called each time the stream opens (also after a reconnect). */
  onOpen(hook: () => void): () => void
  /**
   * Called with every `HeraldError` the client reports: undecodable payloads, unknown events,
   * throwing listeners, dropped or failed connections, turn-aways, history gaps and refused topics.
   */
  onError(hook: (error: HeraldError) => void): () => void
  /** Called on every change of `state`. */
  onState(hook: (state: ConnectionState) => void): () => void
  /** Closes the stream for good; iterators end, no hook runs afterwards. */
  close(): void
}
