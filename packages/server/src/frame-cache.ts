import type { StoredEvent } from './engine.ts'
import { formatEvent, toFrame } from './format.ts'

/** The SSE bytes of stored events, each encoded once. */
export interface FrameCache {
  /** The event's block as text, for a batch of several framed together. */
  textOf(event: StoredEvent): string
  /** The event's block as bytes of its own, made on first use and kept while the event is. */
  frameOf(event: StoredEvent): Buffer
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
