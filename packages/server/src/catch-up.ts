// A resuming stream owns its catch-up: the replay of what it missed, then the live events that
// arrived meanwhile, written as fast as its socket takes them and never all at once, so a client
// far behind gets its whole replay without the server ever holding much for it.
import { type Connection, gone, write } from './connection.ts'
import type { Replay, StoredEvent } from './engine.ts'
import { compareEventIds, type EventId, parseEventId } from './event-id.ts'
import { formatControl } from './format.ts'

/** The events a stream still has to write before it is live. */
export interface CatchUp {
  /** Queues live events emitted meanwhile; cuts the stream once more than `maxQueuedEvents` are unsent. */
  push(events: readonly StoredEvent[]): void
}

/** What a catch-up needs from its channel. */
export interface CatchUpOptions {
  /** The engine's replay: the events after an id, and whether any were lost. */
  replay: (lastId: EventId) => Replay | Promise<Replay>
  /** The bytes of one event, encoded once for every stream that replays it. */
  frameOf: (event: StoredEvent) => Buffer
  /** The most events the stream may have unsent; more and it is cut (it resumes when it reconnects). */
  maxQueuedEvents: number
  /** Past half of this unsent, the catch-up waits for 'drain' before writing more. */
  maxBufferedBytes: number
  /** Told of a replay just before it is written (the channel spends the client's replay budget). */
  onReplay: (replay: Replay) => void
}

/**
 * Replays what `connection` missed since the id its client sent (`raw`), then lets it go live
 * (`connection.catchUp` back to undefined). `startId` is where the stream joined the live events.
 * A failed replay drops the stream: its client reconnects and tries again.
 */
export function resume(connection: Connection, raw: string, startId: EventId, options: CatchUpOptions): void {
  const { res } = connection
  const { maxQueuedEvents } = options
  let queue: StoredEvent[] = []
  let sent = 0 // how many events of `queue` were written
  connection.catchUp = {
    push(events) {
      for (const event of events) queue.push(event)
      // A stream that stopped reading while it caught up would hold every later event.
      if (queue.length - sent > maxQueuedEvents) res.destroy()
    },
  }

  // Write the queue while the socket takes it, wait for 'drain' when it doesn't. Live events
  // that arrive meanwhile join the queue; once it is empty the stream is live.
  const pump = () => {
    while (sent < queue.length) {
      if (gone(res)) return
      if (queue.length - sent > maxQueuedEvents) {
        res.destroy() // hopelessly behind; it resumes, or learns of the gap, when it reconnects
        return
      }
      const event = queue[sent] as StoredEvent
      sent += 1
      if (!write(connection, options.frameOf(event)) && res.writableLength > options.maxBufferedBytes / 2) {
        res.once('drain', pump)
        return
      }
    }
    connection.catchUp = undefined
  }

  const start = (from: string, replay: Replay) => {
    if (gone(res)) return
    options.onReplay(replay)
    if (replay.gap) {
      // With nothing replayed, the gap block moves the client to where this stream joined: every
      // later event follows. Replayed events (an engine may keep some past a gap) carry their own.
      const position = replay.events.length === 0 ? { id: startId } : {}
      write(connection, formatControl('herald:gap', { lastEventId: from.slice(0, 64) }, position))
    }
    // An asynchronous replay may already hold some of the live events that came meanwhile.
    const last = replay.events.at(-1)?.id ?? (replay.gap ? startId : (from as EventId))
    queue = [...replay.events, ...queue.filter((event) => compareEventIds(event.id, last) > 0)]
    sent = 0
    pump()
  }

  const from = parseEventId(raw)
  if (from === undefined) {
    start(raw, { events: [], gap: true })
    return
  }
  const drop = () => void res.destroy()
  let replay: Replay | Promise<Replay>
  try {
    replay = options.replay(from)
  } catch {
    drop()
    return
  }
  if (replay instanceof Promise) replay.then((result) => start(from, result), drop)
  else start(from, replay)
}
