import { createIdGenerator, type EventId } from './event-id.ts'
import { createHistory, type Replay, type StoredEvent } from './history.ts'

/**
 * Where a channel's events are ordered, kept and fanned out. The in-memory engine serves one
 * process; an engine backed by a shared log (Redis Streams) lets several processes share a
 * channel. `TPublished` is what `publish` returns: an id now, or a promise of one.
 */
export interface ChannelEngine<TPublished extends EventId | Promise<EventId> = EventId> {
  /** Assigns the next id, stores the event and delivers it to every subscriber, in order. */
  publish(name: string, data: string): TPublished
  /** Receives every event published from now on, in id order; returns the unsubscribe function. */
  subscribe(listener: (event: StoredEvent) => void): () => void
  /** The stored events after `lastId`, and whether any between were lost. */
  replay(lastId: EventId): Replay | Promise<Replay>
  /**
   * The newest id published, or before the first event an origin id that `replay` answers with
   * every event since. A new stream starts from it, so it can resume even before its first event.
   */
  readonly lastId: EventId
  /** Releases the engine's resources; no event is delivered afterwards. */
  close(): void | Promise<void>
}

/** Options of the in-memory engine. */
export interface MemoryEngineOptions {
  /** How many recent events are kept for `Last-Event-ID` replay. @default 1000 */
  historySize?: number
  /** The clock behind event ids. @default Date.now */
  now?: () => number
}

/** The default engine: ids, history and fan-out in this process, all synchronous. */
export function createMemoryEngine(options: MemoryEngineOptions = {}): ChannelEngine<EventId> {
  const nextId = createIdGenerator(options.now)
  let lastId = nextId() // the origin: taken from the same sequence, so older than any event
  const history = createHistory(options.historySize ?? 1000, lastId)
  const listeners = new Set<(event: StoredEvent) => void>()
  return {
    get lastId() {
      return lastId
    },
    publish(name, data) {
      const event: StoredEvent = { id: nextId(), name, data }
      lastId = event.id
      history.push(event)
      for (const listener of listeners) listener(event)
      return event.id
    },
    subscribe(listener) {
      listeners.add(listener)
      return () => listeners.delete(listener)
    },
    replay: (lastId) => history.since(lastId),
    close() {
      listeners.clear()
    },
  }
}
