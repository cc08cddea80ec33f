import type { EventId } from './event-id.ts'

/**
 * An event as an engine stores and delivers it: its id, name and encoded `data:` text, and the
 * topics it was sent to (absent for a broadcast, which every stream receives).
 */
export interface StoredEvent {
  readonly id: EventId
  readonly name: string
  readonly data: string
  readonly topics?: readonly string[] | undefined
}

/** What a client resuming from an id gets: the events after it, and whether any were lost. */
export interface Replay {
  /** The events after the id, in id order, each once: the broadcasts and those of the topics asked for. */
  readonly events: readonly StoredEvent[]
  /**
   * True when broadcasts after the id may be missing: the id is older than the history, was never
   * issued, or belongs to another epoch (or to none). A gap of another epoch is every topic's too.
   */
  readonly gap: boolean
  /**
   * The topics asked for whose events after the id may be missing, their history no longer
   * reaching back to it; absent or empty when none (and when `replay` was asked for no topics).
   */
  readonly topicGaps?: readonly string[] | undefined
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
  /**
   * Assigns the next id, stores the event and delivers it to every subscriber, in order. `topics`
   * (valid, distinct, at least one) sends it to those topics' streams only; absent, it is a
   * broadcast. Each topic keeps its own history, so a busy topic never pushes a quiet one's events
   * out of reach.
   */
  publish(name: string, data: string, topics?: readonly string[]): TPublished
  /**
   * Receives every event published from now on, in id order; returns the unsubscribe function.
   * An engine whose reader can fall behind its log's retention (a shared log) calls `onLost` when
   * events were trimmed before it delivered them: the channel then ends its streams, which resume
   * from their last ids through `replay` (and learn of any gap there).
   */
  subscribe(listener: (event: StoredEvent) => void, onLost?: () => void): () => void
  /**
   * The stored events after `lastId` (the broadcasts, and those of `topics`), and whether any
   * between were lost. An id of another epoch or of none, or older than the history, is a gap,
   * never a partial replay. Asked for no topics, only an id the engine issued is known; asked for
   * topics, an id of this epoch between the origin and `lastId` is a position in the log (a
   * stream's last id may be an event of a topic it no longer reads), and each topic whose history
   * no longer reaches back to it is named in `topicGaps`.
   */
  replay(lastId: EventId, topics?: readonly string[]): Replay | Promise<Replay>
  /**
   * The newest id published, or before the first event an origin id that `replay` answers with
   * every event since. A new stream starts from it, so it can resume even before its first event.
   */
  readonly lastId: EventId
  /** The epoch of the ids this engine issues now: 1 to 16 ASCII letters and digits. */
  readonly epoch: string
  /**
   * The most events the engine keeps per topic (and of broadcasts), when it has such a bound. The
   * channel sizes from it (or from 1,000 when absent) `maxQueuedEvents`, the default
   * `replayBudget` and what each resuming request reserves of that budget.
   */
  readonly historySize?: number | undefined
  /**
   * False while the engine cannot serve (its shared log is unreachable): the channel then turns
   * new streams away (`herald:busy`, come back later) and keeps open ones up. Absent means always.
   */
  readonly available?: boolean | undefined
  /** Releases the engine's resources; no event is delivered afterwards. */
  close(): void | Promise<void>
}
