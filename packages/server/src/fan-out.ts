// The hot path. Events emitted in one tick are coalesced: they are encoded once into one Buffer
// and written with one write per stream at the end of the tick (a microtask, so no latency is
// added), as one HTTP/1.1 chunk framed once for every socket. Streams still catching up get the
// events themselves, in their queue.
import type { CatchUp } from './catch-up.ts'
import { toChunk } from './connection.ts'
import type { StoredEvent } from './engine.ts'
import type { EventId } from './event-id.ts'
import type { FrameCache } from './frame-cache.ts'

/** What the fan-out needs of a stream: whether it is still catching up. */
export interface FanOutStream {
  readonly catchUp: CatchUp | undefined
}

/** Options of `createFanOut`. */
export interface FanOutOptions<TStream extends FanOutStream> {
  /** The frames of events, shared with the replays. */
  frames: FrameCache
  /** Writes a block to a live stream: the frame, and the same bytes as a ready-made chunk. */
  send: (stream: TStream, frame: Buffer, chunk: Buffer) => void
  /** The newest id before the first event (the engine's `lastId`). */
  newest: EventId
}

/** The live streams of a channel and the events on their way to them. */
export interface FanOut<TStream extends FanOutStream> {
  /** The open streams. */
  readonly streams: Set<TStream>
  /** The id of the newest event written out, so a stream joining now starts after it. */
  readonly newest: EventId
  /** Takes an event from the engine; it is written at the end of the tick, with the tick's others. */
  publish(event: StoredEvent): void
  /** Writes the events taken so far now (before a stream joins, or the channel closes). */
  flush(): void
}

/** Creates the fan-out of a channel. */
export function createFanOut<TStream extends FanOutStream>(options: FanOutOptions<TStream>): FanOut<TStream> {
  const { frames, send } = options
  const streams = new Set<TStream>()
  let newest = options.newest
  let batch: StoredEvent[] = []
  const flush = () => {
    const events = batch
    if (events.length === 0) return
    batch = []
    newest = (events[events.length - 1] as StoredEvent).id
    if (streams.size === 0) return
    // One event: its frame is cached with it for replays. Several: one Buffer for all of them.
    const frame =
      events.length === 1 ? frames.frameOf(events[0] as StoredEvent) : Buffer.from(events.map(frames.textOf).join(''))
    // Framed as an HTTP/1.1 chunk once, when the first live stream needs it.
    let chunk: Buffer | undefined
    for (const stream of streams) {
      const { catchUp } = stream
      if (catchUp !== undefined) {
        catchUp.push(events)
        continue
      }
      chunk ??= toChunk(frame)
      send(stream, frame, chunk)
    }
  }
  return {
    streams,
    get newest() {
      return newest
    },
    publish(event) {
      if (batch.length === 0) queueMicrotask(flush)
      batch.push(event)
    },
    flush,
  }
}
