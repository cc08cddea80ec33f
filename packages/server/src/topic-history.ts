import type { Replay, StoredEvent } from './engine.ts'
import { compareEventIds, type EventId } from './event-id.ts'
import { createHistory, type History } from './history.ts'
import { mergeEvents } from './merge-events.ts'

/** The histories of a log's topics and of its broadcasts, bounded each and in total. */
export interface TopicHistory {
  /** Keeps `event` in the history of each of its topics (of the broadcasts when it has none). */
  push(event: StoredEvent): void
  /**
   * The broadcasts and the events of `topics` after the position `lastId`, in id order, each
   * once, with the topics whose history no longer reaches back to it.
   */
  replay(lastId: EventId, topics: readonly string[]): Replay
  /** How many events are kept, counted once per history holding them. */
  readonly size: number
}

/** Options of `createTopicHistory`. */
export interface TopicHistoryOptions {
  /** The most events kept per topic, and of broadcasts. */
  perTopic: number
  /** The most kept in all, counted once per history holding them. */
  total: number
  /** An id older than any event: the broadcasts' history starts from it. */
  origin: EventId
}

// The broadcasts' history, under a key no topic can have (topics are never empty).
const BROADCAST = ''

/**
 * Creates the histories. Each topic keeps its newest `perTopic` events, so a busy topic only ever
 * pushes out its own. Past `total`, the topic being published to gives up its oldest event when
 * it holds more than its share (`total` over the number of histories) and more than one event;
 * otherwise the topic published to least recently gives up its oldest. A history emptied so is
 * dropped; the newest id it lost stays as a watermark, so a topic without a history knows what it
 * may have lost.
 */
export function createTopicHistory(options: TopicHistoryOptions): TopicHistory {
  const { perTopic, total } = options
  // In order of last publish, least recent first (a Map keeps insertion order).
  const histories = new Map<string, History>([[BROADCAST, createHistory(perTopic, options.origin)]])
  let size = 0
  let forgotten: EventId | undefined // the newest id of a dropped history

  const historyOf = (key: string): History => {
    let history = histories.get(key)
    if (history === undefined) history = createHistory(perTopic, forgotten)
    else histories.delete(key)
    histories.set(key, history)
    return history
  }
  const evictFrom = (key: string, history: History) => {
    const evicted = history.shift()
    if (evicted === undefined) return
    size -= 1
    if (history.size === 0 && key !== BROADCAST) {
      histories.delete(key)
      if (forgotten === undefined || compareEventIds(evicted.id, forgotten) > 0) forgotten = evicted.id
    }
  }
  const leastRecent = (): [string, History] => {
    for (const entry of histories) if (entry[1].size > 0) return entry
    throw new Error('unreachable: the histories hold events')
  }

  return {
    get size() {
      return size
    },
    push(event) {
      for (const key of event.topics ?? [BROADCAST]) {
        const history = historyOf(key)
        if (history.push(event) === undefined) size += 1
        while (size > total) {
          // A topic's only event is never "more than its share", even when there are more topics
          // than `total` (a share under one): it would evict the event just published, the newest.
          if (history.size > 1 && history.size * histories.size > total) evictFrom(key, history)
          else evictFrom(...leastRecent())
        }
      }
    },
    replay(lastId, topics) {
      const parts = [(histories.get(BROADCAST) as History).after(lastId)]
      const topicGaps: string[] = []
      for (const topic of topics) {
        const history = histories.get(topic)
        const part =
          history === undefined
            ? { events: [], gap: forgotten !== undefined && compareEventIds(forgotten, lastId) > 0 }
            : history.after(lastId)
        if (part.gap) topicGaps.push(topic)
        parts.push(part)
      }
      const events = mergeEvents(parts.map((part) => part.events))
      const gap = (parts[0] as Replay).gap
      return topics.length === 0 ? { events, gap } : { events, gap, topicGaps }
    },
  }
}
