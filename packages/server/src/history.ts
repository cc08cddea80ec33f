import type { Replay, StoredEvent } from './engine.ts'
import { compareEventIds, type EventId } from './event-id.ts'

/** A bounded ring of the most recent events, for `Last-Event-ID` replay. */
export interface History {
  /** Keeps `event`, the newest; returns the event it evicted to make room, if any. */
  push(event: StoredEvent): StoredEvent | undefined
  /** Evicts the oldest event and returns it (`undefined` when empty). */
  shift(): StoredEvent | undefined
  /**
   * The events after the position `lastId` (any id of the log, held here or not); a gap and no
   * events when an event after it was evicted.
   */
  after(lastId: EventId): Replay
  /** How many events are kept. */
  readonly size: number
}

/**
 * Creates a history that keeps the last `capacity` events (0 keeps none). `origin`, an id older
 * than any event, stands for "before the first event": resuming from it replays everything
 * until the first event is evicted.
 */
export function createHistory(capacity: number, origin?: EventId): History {
  const ring: StoredEvent[] = []
  let start = 0 // index of the oldest event
  let count = 0
  let evicted: EventId | undefined = origin // id of the newest event that fell out

  const at = (index: number) => ring[(start + index) % ring.length] as StoredEvent
  const slice = (from: number): StoredEvent[] => {
    const out: StoredEvent[] = []
    for (let index = from; index < count; index++) out.push(at(index))
    return out
  }
  const shift = (): StoredEvent | undefined => {
    if (count === 0) return undefined
    const oldest = at(0)
    evicted = oldest.id
    start = (start + 1) % ring.length
    count -= 1
    return oldest
  }

  return {
    get size() {
      return count
    },
    push(event) {
      if (capacity === 0) {
        evicted = event.id
        return event
      }
      const oldest = count === capacity ? shift() : undefined
      if (count === ring.length) {
        // Grow, with the oldest at index 0 so the ring stays in order.
        ring.push(...ring.splice(0, start))
        start = 0
        ring.push(event)
      } else {
        ring[(start + count) % ring.length] = event
      }
      count += 1
      return oldest
    },
    shift,
    after(lastId) {
      // Never a partial replay: past a gap the client refetches, so nothing is sent.
      if (evicted !== undefined && compareEventIds(evicted, lastId) > 0) return { events: [], gap: true }
      let low = 0
      let high = count
      while (low < high) {
        const mid = (low + high) >> 1
        if (compareEventIds(at(mid).id, lastId) <= 0) low = mid + 1
        else high = mid
      }
      return { events: slice(low), gap: false }
    },
  }
}
