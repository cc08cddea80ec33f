import { HeraldError } from '@herald/schema'
import type { ChannelEngine, StoredEvent } from './engine.ts'
import { compareEventIds, createEpoch, createIdGenerator, type EventId, epochOf } from './event-id.ts'
import { describe, functionOption, wholeNumberOption } from './options.ts'
import { createTopicHistory } from './topic-history.ts'

/** Options of the in-memory engine. */
export interface MemoryEngineOptions {
  /** How many recent events are kept for `Last-Event-ID` replay, per topic and of broadcasts. @default 1000 */
  historySize?: number | undefined
  /**
   * The most events kept in all topics' histories together (an event sent to several topics
   * counts once per topic). Past it, busy topics give up their oldest events first.
   * @default 100 × historySize, at least historySize
   */
  maxHistoryEvents?: number | undefined
  /** The clock behind event ids. @default Date.now */
  now?: (() => number) | undefined
}

/**
 * The default engine: ids, history and fan-out in this process, all synchronous. Each engine has
 * its own random epoch, so ids issued by another process, or by another engine in this one, are
 * always a gap here, whatever the clocks say. Channels that share one engine share its ids.
 * Throws `INVALID_OPTIONS` for options it cannot use.
 */
export function createMemoryEngine(options: MemoryEngineOptions = {}): ChannelEngine<EventId> {
  if (typeof options !== 'object' || options === null) {
    throw new HeraldError(
      'INVALID_OPTIONS',
      `createMemoryEngine() options must be an object, received ${describe(options)}`,
    )
  }
  const historySize = wholeNumberOption('historySize', options.historySize, 1000)
  const maxHistoryEvents = wholeNumberOption('maxHistoryEvents', options.maxHistoryEvents, historySize * 100)
  if (maxHistoryEvents < historySize) {
    throw new HeraldError(
      'INVALID_OPTIONS',
      `createMemoryEngine() option 'maxHistoryEvents' (${maxHistoryEvents}) must be at least historySize (${historySize})`,
    )
  }
  functionOption('now', options.now)
  const epoch = createEpoch()
  const nextId = createIdGenerator(epoch, options.now)
  const origin = nextId() // taken from the same sequence, so older than any event
  let lastId = origin
  const history = createTopicHistory({ perTopic: historySize, total: maxHistoryEvents, origin })
  const listeners = new Set<(event: StoredEvent) => void>()
  return {
    epoch,
    historySize,
    get lastId() {
      return lastId
    },
    publish(name, data, topics) {
      const event: StoredEvent =
        topics === undefined ? { id: nextId(), name, data } : { id: nextId(), name, data, topics: [...topics] }
      lastId = event.id
      history.push(event)
      for (const listener of listeners) listener(event)
      return event.id
    },
    subscribe(listener) {
      listeners.add(listener)
      return () => listeners.delete(listener)
    },
    replay(from, topics = []) {
      const theirs = epochOf(from)
      if (theirs === epoch && compareEventIds(from, origin) >= 0 && compareEventIds(from, lastId) <= 0) {
        return history.replay(from, topics)
      }
      // A position means nothing outside its epoch, even one this engine issued too. An id of
      // another epoch has seen none of this log: all of it follows the gap, if all is still here.
      // An id of no epoch, or of this one but out of its range, is unknown, like a forged one.
      const all = history.replay(origin, topics)
      const trimmed = all.gap || (all.topicGaps?.length ?? 0) > 0
      const events = theirs === undefined || theirs === epoch || trimmed ? [] : all.events
      return topics.length === 0 ? { events, gap: true } : { events, gap: true, topicGaps: [...topics] }
    },
    close() {
      listeners.clear()
    },
  }
}
