// The channel: the composition of its parts. Options (channel-options.ts), the checks in front of
// every stream (request-gate.ts), the fan-out of live events (fan-out.ts), the catch-up of a
// resuming stream (catch-up.ts), the heartbeat (heartbeat.ts) and the bound on unsent bytes
// (buffer-limit.ts). Here: emit, and a stream's life from admission to close.
import {
  type AnyEvents,
  assertTopic,
  type EventName,
  encodePayload,
  fingerprintOf,
  HeraldError,
  type Payload,
  type Topic,
} from '@herald/schema'
import { createAdmission } from './admission.ts'
import { createBufferLimit } from './buffer-limit.ts'
import { resume } from './catch-up.ts'
import { resolveChannelOptions } from './channel-options.ts'
import { type Connection, gone, openConnection, toChunk } from './connection.ts'
import { compareEventIds, type EventId, epochOf, parseEventId } from './event-id.ts'
import type { ExchangeRequest, ExchangeResponse } from './exchange.ts'
import { createFanOut } from './fan-out.ts'
import { formatPrelude, HEARTBEAT, jitter, toFrame } from './format.ts'
import { createFrameCache } from './frame-cache.ts'
import { startHeartbeat } from './heartbeat.ts'
import { createReplayBudget } from './replay-budget.ts'
import { createRequestGate } from './request-gate.ts'
import { asksTopicLines } from './topic-access.ts'
import { turnAwayClosed } from './turn-away.ts'
import type { Channel, ChannelOptions, StreamAccess, StreamRequest, StreamResponse, StreamTopics } from './types.ts'

// The keep-alive never changes: frame it as an HTTP/1.1 chunk once.
const heartbeatChunk = toChunk(HEARTBEAT)

/**
 * Creates a typed channel for the events of `events`. Emits are validated against their
 * schemas, encoded once, numbered, kept for replay and written to every open stream.
 */
export function createChannel<TEvents extends AnyEvents, TPublished extends EventId | Promise<EventId> = EventId>(
  events: TEvents,
  options: ChannelOptions<TPublished> = {},
): Channel<TEvents, TPublished> {
  const settings = resolveChannelOptions(events, options)
  const { engine, heartbeatMs, retryMs, maxEventBytes } = settings
  // Advertised in every hello, so a client built from another contract can tell (docs/drift.md).
  const schema = fingerprintOf(events)
  const replays = createReplayBudget({
    events: settings.replayBudget,
    windowMs: settings.replayWindowMs,
    now: () => Date.now(),
  })
  let closed = false
  const gate = createRequestGate({
    admission: createAdmission(settings),
    replays,
    retryMs,
    busyRetryMs: settings.busyRetryMs,
    closed: () => closed,
    available: () => engine.available !== false,
  })
  // Reserved from a resuming client's budget at admission, before the engine is asked: with an
  // asynchronous engine, requests admitted while a replay is pending would otherwise all pass the
  // check before any is charged. Settled with the events actually replayed. An engine that does
  // not tell its history is taken to keep 1,000 events (docs/engines.md).
  const replayEstimate = Math.min(engine.historySize ?? 1000, settings.replayBudget)
  // What a resume reserves: nothing when its id is of this epoch and not behind where the stream
  // joins (there is nothing to replay yet; whatever arrives meanwhile is still charged when the
  // replay settles), a history's worth for any other id (one per topic joined and one of
  // broadcasts: a topic stream's replay merges them), so concurrent resumes from behind cannot all
  // pass the check while their replays are pending.
  const reservationFor = (lastEventId: string, startId: EventId, topics: number): number => {
    const from = parseEventId(lastEventId)
    const current = from !== undefined && epochOf(from) === engine.epoch && compareEventIds(from, startId) >= 0
    return current ? 0 : Math.min(replayEstimate * (topics + 1), settings.replayBudget)
  }
  /** Requests admitted whose topics are still being decided (an `authorize` pending). */
  const deciding = new Set<ExchangeResponse>()
  const frames = createFrameCache()
  const limit = createBufferLimit(settings.maxBufferedBytes)
  const fanOut = createFanOut<Connection>({ frames, send: limit.send, newest: engine.lastId })
  const connections = fanOut.streams
  const checkTopics = (access: StreamTopics) => {
    for (const topic of access.topics ?? []) assertTopic(events, topic)
  }
  // Validates, encodes and publishes one event, to `topics` or to every stream.
  const publish = (name: string, payload: unknown, topics?: readonly string[]): TPublished => {
    if (closed) {
      throw new HeraldError('CHANNEL_CLOSED', `event '${String(name)}': the channel is closed`, {
        event: String(name),
      })
    }
    const data = encodePayload(events, name, payload as never)
    // A UTF-16 string of n units is at most 3n UTF-8 bytes: count bytes only when it may matter.
    if (data.length * 3 > maxEventBytes && Buffer.byteLength(data) > maxEventBytes) {
      throw new HeraldError(
        'EVENT_TOO_LARGE',
        `event '${name}': ${Buffer.byteLength(data)} bytes encoded, over maxEventBytes (${maxEventBytes})`,
        { event: name },
      )
    }
    return engine.publish(name, data, topics)
  }
  // Ends every stream with a spread-out retry: its client comes back and resumes from its last id.
  const endStreams = () => {
    for (const connection of connections) connection.res.end(`retry: ${jitter(retryMs)}\n\n`)
    fanOut.clear()
  }
  // Events the engine lost before delivering them (its reader fell behind a shared log): the
  // streams resume through replay, which has them (or reports the gap).
  const unsubscribe = engine.subscribe(fanOut.publish, () => {
    fanOut.flush()
    endStreams()
  })
  const stopHeartbeat = startHeartbeat({
    everyMs: heartbeatMs,
    streams: connections,
    ping: (connection) => limit.send(connection, HEARTBEAT, heartbeatChunk),
  })

  return {
    events,
    get size() {
      return connections.size
    },
    get closed() {
      return closed
    },
    emit<TName extends EventName<TEvents>>(name: TName, ...args: [payload?: Payload<TEvents, TName>]) {
      return publish(name, args[0])
    },
    to(topics) {
      const list = [...new Set<string>(typeof topics === 'string' ? [topics] : Array.from(topics ?? []))]
      if (list.length === 0) throw new HeraldError('INVALID_TOPIC', 'channel.to() needs at least one topic')
      for (const topic of list) assertTopic(events, topic)
      Object.freeze(list)
      return {
        topics: list as readonly Topic<TEvents>[],
        emit: (name, ...args) => publish(name, args[0], list),
      }
    },
    handle(request: StreamRequest, response: StreamResponse, access: StreamAccess = {}) {
      // Checked before the request is admitted: a bad topic of the server's own is its bug, thrown here.
      if (typeof access !== 'function') checkTopics(access)
      // HTTP/2's compatibility API has every member used here, under the same names.
      const req: ExchangeRequest = request
      const res: ExchangeResponse = response
      let connection: Connection | undefined
      const admitted = gate.admit(req, res, () => {
        if (connection === undefined) return
        fanOut.remove(connection)
        limit.forget(connection)
      })
      if (admitted === undefined) return
      const open = (granted: StreamTopics) => {
        const topics = new Set(granted.topics ?? [])
        fanOut.flush() // so the stream joins after every event already sent to the others
        const startId = fanOut.newest
        const { key, lastEventId } = admitted
        // Each stream's own retry: clients cut off together come back spread over [retryMs, 2·retryMs).
        // The hello carries the same value, the wait Herald's client allows for in its watchdog.
        const prelude = formatPrelude(jitter(retryMs), heartbeatMs, {
          topics: [...topics],
          refused: granted.refused,
          id: lastEventId === undefined ? startId : undefined,
          schema,
        })
        const topicLines = asksTopicLines(req.url)
        connection = openConnection(req, res, prelude, topics, topicLines)
        fanOut.add(connection)
        if (lastEventId === undefined) return
        const settle = replays.reserve(key, reservationFor(lastEventId, startId, topics.size))
        resume(connection, lastEventId, startId, {
          replay: topics.size === 0 ? (from) => engine.replay(from) : (from) => engine.replay(from, [...topics]),
          frameOf: topicLines ? (event) => toFrame(frames.textFor(event, topics)) : frames.frameOf,
          maxQueuedEvents: settings.maxQueuedEvents,
          maxBufferedBytes: settings.maxBufferedBytes,
          onReplay: (replay) => settle(replay.events.length),
          onReplayFailed: () => settle(0), // not the client's doing: it tries again
        })
      }
      if (typeof access !== 'function') return open(access)
      // Decided while the request holds its slot, so requests waiting on an `authorize` count
      // toward the connection limits. One that fails is the server's error: a 500, no stream.
      const failed = () => {
        if (!res.headersSent && !gone(res))
          res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' }).end('Internal Server Error')
        else res.destroy()
      }
      let decided: StreamTopics | Promise<StreamTopics>
      try {
        decided = access()
      } catch {
        return failed()
      }
      // Until they are decided, `close()` turns it away: an `authorize` that never settles holds
      // neither the request nor its slot past the channel's end.
      deciding.add(res)
      res.once('close', () => deciding.delete(res))
      Promise.resolve(decided)
        .then((granted) => {
          deciding.delete(res)
          // The client may have left, or the channel closed, while its topics were decided.
          if (gone(res)) return
          if (closed) return turnAwayClosed(res, jitter(retryMs))
          checkTopics(granted)
          open(granted)
        })
        .catch((error: unknown) => {
          deciding.delete(res)
          throw error
        })
        .catch(failed)
    },
    async close() {
      if (closed) return
      closed = true
      fanOut.flush()
      stopHeartbeat()
      unsubscribe()
      // Spread the reconnections of every client over [retryMs, 2·retryMs).
      endStreams()
      for (const res of deciding) if (!res.headersSent && !gone(res)) turnAwayClosed(res, jitter(retryMs))
      deciding.clear()
      // A passed engine may serve other channels too: it is its creator's to close.
      if (settings.ownsEngine) await engine.close()
    },
  }
}
