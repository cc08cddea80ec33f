import type { StoredEvent } from './engine.ts'
import { formatEvent, toFrame } from './format.ts'

/** The SSE bytes of stored events, each encoded once. */
export interface FrameCache {
  /** The event's block as text, for a batch of several framed together. */
  textOf(event: StoredEvent): string
  /** The event's block as bytes of its own, made on first use and kept while the event is. */
  frameOf(event: StoredEvent): Buffer
  /**
   * The event's block for a stream that asked for topic lines: with a `topic:` line for each of
   * the event's topics that the stream joined (never the others: who else an event went to is not
   * the stream's business). Made for that stream alone, not cached.
   */
  textFor(event: StoredEvent, joined: ReadonlySet<string>): string
}

/**
 * Creates the cache of event frames. A single event's frame is kept with the event (weakly), for
 * the replays that will write it again: an event the engine drops frees its frame too.
 */
export function createFrameCache(): FrameCache {
  const frames = new WeakMap<StoredEvent, Buffer>()
  const textOf = (event: StoredEvent): string => formatEvent(event.id, event.name, event.data)
  return {
    textOf,
    textFor: (event, joined) =>
      formatEvent(
        event.id,
        event.name,
        event.data,
        event.topics?.filter((topic) => joined.has(topic)),
      ),
    frameOf(event) {
      let frame = frames.get(event)
      if (frame === undefined) {
        frame = toFrame(textOf(event))
        frames.set(event, frame)
      }
      return frame
    },
  }
}
