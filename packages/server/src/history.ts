import type { Replay, StoredEvent } from './engine.ts'
import { compareEventIds, type EventId } from './event-id.ts'

/** A bounded ring of the most recent events, for `Last-Event-ID` replay. */
export interface History {
  push(event: StoredEvent): void
  since(lastId: EventId): Replay
  readonly size: number
}

/**
 * Creates a history that keeps the last `capacity` events (0 keeps none). `origin`, an id older
 * than any event, stands for "before the first event": resuming from it replays everything
 * until the first event is evicted.
 */
export function createHistory(capacity: number, origin?: EventId): History {
  const ring: StoredEvent[] = []
  let start = 0 // index of the oldest event once the ring is full
  let evicted: EventId | undefined = origin // id of the newest event that fell out

  const at = (index: number) => ring[(start + index) % ring.length] as StoredEvent

  return {
    get size() {
      return ring.length
    },
    push(event) {
      if (capacity === 0) {
        evicted = event.id
      } else if (ring.length < capacity) {
        ring.push(event)
      } else {
        evicted = (ring[start] as StoredEvent).id
        ring[start] = event
        start = (start + 1) % capacity
      }
    },
    since(lastId) {
      // lastId === the newest evicted id means the client has seen everything before the ring.
      if (lastId === evicted) return { events: ring.length === 0 ? [] : slice(0), gap: false }
      let low = 0
      let high = ring.length - 1
      while (low <= high) {
        const mid = (low + high) >> 1
        const order = compareEventIds(at(mid).id, lastId)
        if (order === 0) return { events: slice(mid + 1), gap: false }
        if (order < 0) low = mid + 1
        else high = mid - 1
      }
      return { events: [], gap: true }
    },
  }

  function slice(from: number): StoredEvent[] {
    const out: StoredEvent[] = []
    for (let index = from; index < ring.length; index++) out.push(at(index))
    return out
  }
}
