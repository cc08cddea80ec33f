import type { EventId } from './event-id.ts'

/** An event as an engine stores and delivers it: its id, name and encoded `data:` text. */
export interface StoredEvent {
  readonly id: EventId
  readonly name: string
  readonly data: string
}

/** What a client resuming from an id gets: the events after it, and whether any were lost. */
export interface Replay {
  readonly events: readonly StoredEvent[]
  /**
   * True when events after the id may be missing: the id is older than the history, was never
   * issued, or belongs to another epoch (or to none).
   */
  readonly gap: boolean
}

/**
 * Where a channel's events are ordered, kept and fanned out. The in-memory engine serves one
 * process; an engine backed by a shared log (Redis Streams) lets several processes share a
 * channel. `TPublished` is what `publish` returns: an id now, or a promise of one.
 *
 * Ids are `<epoch>-<ms>-<seq>` (see `EventId`). The epoch names the engine's stored log: it stays
 * the same for as long as that log does (so every process sharing the log issues and resumes the
 * same ids) and is new whenever the log starts over (a new process for the in-memory engine; a
 * lost stream for a shared one). `replay` answers `gap: true` for any id of another epoch.
 * `describeEngineConformance` from `@herald/server/testing` checks all of this for an engine.
 */
export interface ChannelEngine<TPublished extends EventId | Promise<EventId> = EventId> {
  /** Assigns the next id, stores the event and delivers it to every subscriber, in order. */
  publish(name: string, data: string): TPublished
  /** Receives every event published from now on, in id order; returns the unsubscribe function. */
  subscribe(listener: (event: StoredEvent) => void): () => void
  /**
   * The stored events after `lastId`, and whether any between were lost. An id of another epoch
   * or of none, never issued, or older than the history is a gap, never a partial replay.
   */
  replay(lastId: EventId): Replay | Promise<Replay>
  /**
   * The newest id published, or before the first event an origin id that `replay` answers with
   * every event since. A new stream starts from it, so it can resume even before its first event.
   */
  readonly lastId: EventId
  /** The epoch of the ids this engine issues now: 1 to 16 ASCII letters and digits. */
  readonly epoch: string
  /**
   * The most events one `replay` returns, when the engine has such a bound. The channel sizes from
   * it (or from 1,000 when absent) `maxQueuedEvents`, the default `replayBudget` and what each
   * resuming request reserves of that budget.
   */
  readonly historySize?: number | undefined
  /** Releases the engine's resources; no event is delivered afterwards. */
  close(): void | Promise<void>
}
