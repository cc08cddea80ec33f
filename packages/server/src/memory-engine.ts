import { HeraldError } from '@herald/schema'
import type { ChannelEngine, StoredEvent } from './engine.ts'
import { createEpoch, createIdGenerator, type EventId, epochOf } from './event-id.ts'
import { createHistory } from './history.ts'
import { describe, functionOption, wholeNumberOption } from './options.ts'

/** Options of the in-memory engine. */
export interface MemoryEngineOptions {
  /** How many recent events are kept for `Last-Event-ID` replay. @default 1000 */
  historySize?: number | undefined
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
  functionOption('now', options.now)
  const epoch = createEpoch()
  const nextId = createIdGenerator(epoch, options.now)
  const origin = nextId() // taken from the same sequence, so older than any event
  let lastId = origin
  const history = createHistory(historySize, origin)
  const listeners = new Set<(event: StoredEvent) => void>()
  return {
    epoch,
    historySize,
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
    replay(from) {
      const theirs = epochOf(from)
      if (theirs === epoch) return history.since(from)
      // A position means nothing outside its epoch, even one this engine issued too. An id of
      // another epoch has seen none of this log: all of it follows the gap, if all is still here.
      // An id of no epoch is unknown, like a forged one.
      return { events: theirs === undefined ? [] : history.since(origin).events, gap: true }
    },
    close() {
      listeners.clear()
    },
  }
}
