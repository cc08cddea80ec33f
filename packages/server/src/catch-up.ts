// A resuming stream owns its catch-up: the replay of what it missed, then the live events that
// arrived meanwhile, written as fast as its socket takes them and never all at once, so a client
// far behind gets its whole replay without the server ever holding much for it. The replay is
// bounded by the engine and already in memory; what could grow without bound is the live events
// queued behind it, so only those count toward `maxQueuedEvents`.
import { type Connection, gone, write } from './connection.ts'
import type { Replay, StoredEvent } from './engine.ts'
import { compareEventIds, type EventId, parseEventId } from './event-id.ts'
import { formatControl } from './format.ts'

/** The events a stream still has to write before it is live. */
export interface CatchUp {
  /** Queues live events emitted meanwhile; cuts the stream once more than `maxQueuedEvents` of them are unsent. */
  push(events: readonly StoredEvent[]): void
}

/** What a catch-up needs from its channel. */
export interface CatchUpOptions {
  /** The engine's replay: the events after an id, and whether any were lost. */
  replay: (lastId: EventId) => Replay | Promise<Replay>
  /** The bytes of one event, encoded once for every stream that replays it. */
  frameOf: (event: StoredEvent) => Buffer
  /**
   * The most live events the stream may have queued unsent behind its replay (the replay itself
   * is sent whole); more and it is cut (it resumes when it reconnects).
   */
  maxQueuedEvents: number
  /** Past half of this unsent, the catch-up waits for 'drain' before writing more. */
  maxBufferedBytes: number
  /**
   * Told of the replay as soon as the engine answers, even if the stream has gone meanwhile (the
   * channel spends the client's replay budget: the engine did the work).
   */
  onReplay: (replay: Replay) => void
  /** Told instead of `onReplay` when the replay throws or rejects (the stream is dropped). */
  onReplayFailed: () => void
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
  let replayed = 0 // how many events at the head of `queue` are the replay's
  // Whether too many live events wait unsent behind the replay: a stream that stopped reading would
  // hold every later one.
  const behind = () => queue.length - Math.max(sent, replayed) > maxQueuedEvents
  connection.catchUp = {
    push(events) {
      for (const event of events) queue.push(event)
      if (behind()) res.destroy()
    },
  }

  // Write the queue while the socket takes it, wait for 'drain' when it doesn't. Live events
  // that arrive meanwhile join the queue; once it is empty the stream is live.
  const pump = () => {
    while (sent < queue.length) {
      if (gone(res)) return
      if (behind()) {
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
    options.onReplay(replay)
    if (gone(res)) return
    const lastEventId = from.slice(0, 64)
    const gaps = [
      ...(replay.gap ? [{ lastEventId }] : []),
      // A gap of the whole stream already covers each topic: one notice, not one per topic too.
      ...(replay.gap ? [] : (replay.topicGaps ?? [])).map((topic) => ({ lastEventId, topic })),
    ]
    for (const [index, gap] of gaps.entries()) {
      // With nothing replayed, the last gap block moves the client to where this stream joined:
      // every later event follows. Replayed events (an engine may keep some past a gap) carry their own.
      const position = replay.events.length === 0 && index === gaps.length - 1 ? { id: startId } : {}
      write(connection, formatControl('herald:gap', gap, position))
    }
    // An asynchronous replay may already hold some of the live events that came meanwhile.
    const last = replay.events.at(-1)?.id ?? (replay.gap ? startId : (from as EventId))
    queue = [...replay.events, ...queue.filter((event) => compareEventIds(event.id, last) > 0)]
    sent = 0
    replayed = replay.events.length
    pump()
  }

  const from = parseEventId(raw)
  if (from === undefined) {
    start(raw, { events: [], gap: true })
    return
  }
  const drop = () => {
    options.onReplayFailed()
    res.destroy()
  }
  let replay: Replay | Promise<Replay>
  try {
    replay = options.replay(from)
  } catch {
    drop()
    return
  }
  // Any thenable is awaited, not only this realm's promises: a promise of another realm (vm) or of
  // a promise library taken as a replay would throw out of the request and leave its reservation
  // unsettled.
  if (typeof (replay as { then?: unknown } | null)?.then === 'function') {
    Promise.resolve(replay).then((result) => start(from, result), drop)
  } else start(from, replay as Replay)
}
