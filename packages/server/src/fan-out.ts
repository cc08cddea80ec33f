// The hot path. Events emitted in one tick are coalesced: they are encoded once into one Buffer
// and written with one write per stream at the end of the tick (a microtask, so no latency is
// added), as one HTTP/1.1 chunk framed once for every socket. Streams still catching up get the
// events themselves, in their queue. An event sent to topics goes only to their streams, found
// through an index by topic: its cost is that of its subscribers, not of every open stream.
import type { CatchUp } from './catch-up.ts'
import { toChunk } from './connection.ts'
import type { StoredEvent } from './engine.ts'
import type { EventId } from './event-id.ts'
import type { FrameCache } from './frame-cache.ts'

/** What the fan-out needs of a stream: whether it is still catching up, and its topics. */
export interface FanOutStream {
  readonly catchUp: CatchUp | undefined
  /** The topics whose events the stream receives besides the broadcasts. */
  readonly topics?: ReadonlySet<string> | undefined
  /** The stream asked for `topic:` lines: it gets blocks of its own, naming its topics. */
  readonly topicLines?: boolean | undefined
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
  readonly streams: ReadonlySet<TStream>
  /** Adds a stream: from now on it receives the broadcasts and the events of its topics. */
  add(stream: TStream): void
  /** Removes a stream; false when it was not there. */
  remove(stream: TStream): boolean
  /** Removes every stream. */
  clear(): void
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
  const byTopic = new Map<string, Set<TStream>>()
  let newest = options.newest
  let batch: StoredEvent[] = []
  // Writes `events` (in id order) to each of `targets`.
  const write = (targets: Iterable<TStream>, events: readonly StoredEvent[]) => {
    // One event: its frame is cached with it for replays. Several: one Buffer for all of them.
    const frame =
      events.length === 1 ? frames.frameOf(events[0] as StoredEvent) : Buffer.from(events.map(frames.textOf).join(''))
    // Framed as an HTTP/1.1 chunk once, when the first live stream needs it.
    let chunk: Buffer | undefined
    for (const stream of targets) {
      const { catchUp } = stream
      if (catchUp !== undefined) {
        catchUp.push(events)
        continue
      }
      if (stream.topicLines === true) {
        const own = Buffer.from(events.map((event) => frames.textFor(event, stream.topics ?? new Set())).join(''))
        send(stream, own, toChunk(own))
        continue
      }
      chunk ??= toChunk(frame)
      send(stream, frame, chunk)
    }
  }
  // The streams of an event's topics, each once.
  const subscribersOf = (topics: readonly string[]): Iterable<TStream> => {
    if (topics.length === 1) return byTopic.get(topics[0] as string) ?? []
    const targets = new Set<TStream>()
    for (const topic of topics) for (const stream of byTopic.get(topic) ?? []) targets.add(stream)
    return targets
  }
  const flush = () => {
    const events = batch
    if (events.length === 0) return
    batch = []
    newest = (events[events.length - 1] as StoredEvent).id
    if (streams.size === 0) return
    if (events.every((event) => event.topics === undefined)) return write(streams, events)
    if (events.length === 1) return write(subscribersOf((events[0] as StoredEvent).topics as string[]), events)
    // A tick mixing topics. The streams no topic event reaches get the broadcasts alone, as one
    // block; each stream a topic event reaches gets its own events, still in id order.
    const targeted = new Map<TStream, StoredEvent[]>()
    for (const event of events) {
      if (event.topics !== undefined) for (const stream of subscribersOf(event.topics)) targeted.set(stream, [])
    }
    for (const event of events) {
      if (event.topics === undefined) for (const mine of targeted.values()) mine.push(event)
      else for (const stream of subscribersOf(event.topics)) targeted.get(stream)?.push(event)
    }
    const broadcasts = events.filter((event) => event.topics === undefined)
    if (broadcasts.length > 0) write(untargeted(streams, targeted), broadcasts)
    // Targeted streams that get the same events share one block and one chunk too.
    const groups = new Map<string, { events: StoredEvent[]; streams: TStream[] }>()
    for (const [stream, mine] of targeted) {
      const key = mine.map((event) => event.id).join(' ')
      const group = groups.get(key)
      if (group === undefined) groups.set(key, { events: mine, streams: [stream] })
      else group.streams.push(stream)
    }
    for (const group of groups.values()) write(group.streams, group.events)
  }
  return {
    streams,
    add(stream) {
      streams.add(stream)
      for (const topic of stream.topics ?? []) {
        const subscribers = byTopic.get(topic)
        if (subscribers === undefined) byTopic.set(topic, new Set([stream]))
        else subscribers.add(stream)
      }
    },
    remove(stream) {
      if (!streams.delete(stream)) return false
      for (const topic of stream.topics ?? []) {
        const subscribers = byTopic.get(topic)
        subscribers?.delete(stream)
        if (subscribers?.size === 0) byTopic.delete(topic)
      }
      return true
    },
    clear() {
      streams.clear()
      byTopic.clear()
    },
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

/** The streams of `streams` that are not keys of `targeted`. */
function* untargeted<TStream>(streams: Iterable<TStream>, targeted: ReadonlyMap<TStream, unknown>): Generator<TStream> {
  for (const stream of streams) if (!targeted.has(stream)) yield stream
}
