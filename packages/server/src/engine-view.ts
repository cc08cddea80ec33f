import type { ChannelEngine } from './engine.ts'
import type { EventId } from './event-id.ts'

/** An engine under test, synchronous or not. */
export type AnyEngine = ChannelEngine<EventId | Promise<EventId>>

/** `engine` with some members replaced; the others, and its getters, still read the engine. */
export function engineView<TPublished extends EventId | Promise<EventId>>(
  engine: ChannelEngine<TPublished>,
  overrides: Partial<Omit<ChannelEngine<TPublished>, 'lastId' | 'epoch'>>,
): ChannelEngine<TPublished> {
  return {
    publish: (name, data, topics) => engine.publish(name, data, topics),
    subscribe: (listener, onLost) => engine.subscribe(listener, onLost),
    replay: (lastId, topics) => engine.replay(lastId, topics),
    close: () => engine.close(),
    get lastId() {
      return engine.lastId
    },
    get epoch() {
      return engine.epoch
    },
    get historySize() {
      return engine.historySize
    },
    ...overrides,
  }
}

/** Publishes `count` events named `n` (data `first`, `first + 1`, …) in one go; resolves with their ids. */
export function publishMany(engine: AnyEngine, count: number, first = 0): Promise<EventId[]> {
  return Promise.all(Array.from({ length: count }, (_, n) => engine.publish('n', String(first + n))))
}
