import type { IncomingMessage, ServerResponse } from 'node:http'
import { type AnyEvents, type EventName, encodePayload, HeraldError, type Payload } from '@herald/schema'
import { createAdmission } from './admission.ts'
import { type Connection, gone, openConnection, streamHeaders, toChunk, write } from './connection.ts'
import type { ChannelEngine, Replay, StoredEvent } from './engine.ts'
import { compareEventIds, type EventId, isEpoch, parseEventId } from './event-id.ts'
import { formatControl, formatEvent, formatPrelude, HEARTBEAT, jitter, toFrame } from './format.ts'
import { createMemoryEngine } from './memory-engine.ts'
import { describe, functionOption, MAX_DELAY_MS, wholeNumberOption } from './options.ts'
import { createReplayBudget } from './replay-budget.ts'
import { claim, release as releaseSocket, socketOf, unusable } from './stream-socket.ts'
import type { Channel, ChannelOptions, StreamRequest, StreamResponse } from './types.ts'

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
  if (typeof events !== 'object' || events === null || !(events.specs instanceof Map)) {
    throw new HeraldError('INVALID_OPTIONS', 'createChannel() expects the result of defineEvents()')
  }
  if (typeof options !== 'object' || options === null) {
    throw new HeraldError('INVALID_OPTIONS', `createChannel() options must be an object, received ${describe(options)}`)
  }
  const heartbeatMs = wholeNumberOption('heartbeatMs', options.heartbeatMs, 15_000, MAX_DELAY_MS)
  // Retries are jittered up to 2×, and a client's timer takes no more than MAX_DELAY_MS either.
  const retryMs = wholeNumberOption('retryMs', options.retryMs, 2000, Math.floor(MAX_DELAY_MS / 2))
  const busyRetryMs = wholeNumberOption('busyRetryMs', options.busyRetryMs, 10_000, Math.floor(MAX_DELAY_MS / 2))
  functionOption('clientKey', options.clientKey)
  if (options.engine !== undefined && !isEngine(options.engine)) {
    throw new HeraldError(
      'INVALID_OPTIONS',
      "option 'engine' must be a ChannelEngine: publish, subscribe, replay and close functions, a lastId and an epoch",
    )
  }
  if (options.engine !== undefined && options.historySize !== undefined) {
    throw new HeraldError(
      'INVALID_OPTIONS',
      "options 'engine' and 'historySize' cannot be used together: the engine keeps the history, so size it there",
    )
  }
  const maxBufferedBytes = wholeNumberOption('maxBufferedBytes', options.maxBufferedBytes, 1 << 20)
  const maxEventBytes = wholeNumberOption('maxEventBytes', options.maxEventBytes, 1 << 18)
  const admission = createAdmission({
    maxConnections: wholeNumberOption('maxConnections', options.maxConnections, Number.POSITIVE_INFINITY),
    maxConnectionsPerClient: wholeNumberOption(
      'maxConnectionsPerClient',
      options.maxConnectionsPerClient,
      Number.POSITIVE_INFINITY,
    ),
    clientKey: options.clientKey ?? ((req) => req.socket?.remoteAddress ?? ''),
  })
  const engine =
    options.engine ?? (createMemoryEngine({ historySize: options.historySize }) as unknown as ChannelEngine<TPublished>)
  // The most events one replay holds: the engine's own bound, else the default history's size.
  const historySize = engine.historySize ?? 1000
  // A stream catching up with more events than the history holds can never catch up: cut it. A
  // bound below the history would cut every full replay, and the client would loop on it.
  const maxQueuedEvents = wholeNumberOption(
    'maxQueuedEvents',
    options.maxQueuedEvents,
    Math.max(historySize, 1000) * 2,
    undefined,
    historySize,
  )
  // Events replayed per client key: a client looping Last-Event-ID requests would otherwise pull
  // the whole history with each. The default lets every client replay the whole history 10 times
  // a minute, far more than any client that reconnects only when its connection drops.
  const replays = createReplayBudget({
    events: wholeNumberOption('replayBudget', options.replayBudget, historySize * 10),
    windowMs: wholeNumberOption('replayWindowMs', options.replayWindowMs, 60_000, MAX_DELAY_MS, 1),
    now: () => Date.now(),
  })
  const clientOf = new WeakMap<Connection, string>()

  const connections = new Set<Connection>()
  const frames = new WeakMap<StoredEvent, Buffer>()
  let newest = engine.lastId
  let closed = false

  const textOf = (event: StoredEvent): string => formatEvent(event.id, event.name, event.data)
  // A single event's frame is kept with the event, for the replays that will write it again.
  const frameOf = (event: StoredEvent): Buffer => {
    let frame = frames.get(event)
    if (frame === undefined) {
      frame = toFrame(textOf(event))
      frames.set(event, frame)
    }
    return frame
  }

  // A stream with more than maxBufferedBytes unsent is cut, but only if it is still over after
  // the event loop had a turn to hand the bytes to the kernel: one burst larger than the bound
  // does not cut readers that keep up.
  const overflowing = new Set<Connection>()
  const sweep = () => {
    for (const connection of overflowing) {
      if (connection.res.writableLength > maxBufferedBytes) connection.res.destroy()
    }
    overflowing.clear()
  }
  const send = (connection: Connection, frame: Buffer, chunk?: Buffer) => {
    // The hot path: a socket that takes the bytes needs no further look.
    if (write(connection, frame, chunk) || overflowing.has(connection)) return
    if (connection.res.writableLength <= maxBufferedBytes) return
    if (overflowing.size === 0) setImmediate(sweep)
    overflowing.add(connection)
  }

  // The fan-out. Events emitted in one tick are coalesced: they are encoded once into one
  // Buffer, written with one write per stream at the end of the tick (a microtask, so no latency
  // is added). Streams still catching up get the events themselves, in their queue.
  let batch: StoredEvent[] = []
  const flush = () => {
    const events = batch
    if (events.length === 0) return
    batch = []
    newest = (events[events.length - 1] as StoredEvent).id
    const frame = events.length === 1 ? frameOf(events[0] as StoredEvent) : Buffer.from(events.map(textOf).join(''))
    const chunk = toChunk(frame)
    for (const connection of connections) {
      const { queue } = connection
      if (queue === undefined) {
        send(connection, frame, chunk)
        continue
      }
      for (const event of events) queue.push(event)
      // A stream that stopped reading while it caught up would hold every later event.
      if (queue.length - connection.sent > maxQueuedEvents) connection.res.destroy()
    }
  }
  const unsubscribe = engine.subscribe((event) => {
    if (batch.length === 0) queueMicrotask(flush)
    batch.push(event)
  })

  // One timer for every stream: a connection that got nothing since the last tick gets a ping.
  const heartbeat =
    heartbeatMs === 0
      ? undefined
      : setInterval(() => {
          for (const connection of connections) {
            if (connection.idle) send(connection, HEARTBEAT, heartbeatChunk)
            connection.idle = true
          }
        }, heartbeatMs).unref()

  /**
   * Answers with a stream that carries only `block` and ends: every EventSource comes back after
   * its `retry:`. `Herald-Refused` lets Herald's own EventSource see the refusal before it opens.
   */
  const turnAway = (res: ServerResponse, reason: 'busy' | 'closed', block: Buffer, waitMs: number) => {
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      'retry-after': String(Math.ceil(waitMs / 1000)),
      'herald-refused': reason,
    })
    res.end(block)
  }

  // Catching up: write the queue while the socket takes it, wait for 'drain' when it doesn't,
  // so a client far behind gets its whole replay without ever holding much in memory. Live
  // events that arrive meanwhile join the queue; once it is empty the stream is live.
  const pump = (connection: Connection) => {
    const { res } = connection
    const queue = connection.queue as StoredEvent[]
    while (connection.sent < queue.length) {
      if (gone(res)) return
      if (queue.length - connection.sent > maxQueuedEvents) {
        res.destroy() // hopelessly behind; it resumes, or learns of the gap, when it reconnects
        return
      }
      const event = queue[connection.sent] as StoredEvent
      connection.sent += 1
      if (!write(connection, frameOf(event)) && res.writableLength > maxBufferedBytes / 2) {
        res.once('drain', () => pump(connection))
        return
      }
    }
    connection.queue = undefined
    connection.sent = 0
  }

  const catchUp = (connection: Connection, from: string, replay: Replay, startId: EventId) => {
    if (gone(connection.res)) return
    chargeReplay(connection, replay)
    const live = connection.queue ?? []
    if (replay.gap) {
      // With nothing replayed, the gap block moves the client to where this stream joined: every
      // later event follows. Replayed events (an engine may keep some past a gap) carry their own.
      const position = replay.events.length === 0 ? { id: startId } : {}
      write(connection, formatControl('gap', { lastEventId: from.slice(0, 64) }, position))
    }
    // An asynchronous replay may already hold some of the live events that came meanwhile.
    const last = replay.events.at(-1)?.id ?? (replay.gap ? startId : (from as EventId))
    connection.queue = [...replay.events, ...live.filter((event) => compareEventIds(event.id, last) > 0)]
    connection.sent = 0
    pump(connection)
  }

  /** Replays what a stream missed since the id its client sent (`raw`), then lets it go live. */
  const resume = (connection: Connection, raw: string, startId: EventId) => {
    const from = parseEventId(raw)
    if (from === undefined) return catchUp(connection, raw, { events: [], gap: true }, startId)
    connection.queue = []
    // On a failed replay the stream is dropped: its client reconnects and tries again.
    const drop = () => void connection.res.destroy()
    let replay: Replay | Promise<Replay>
    try {
      replay = engine.replay(from)
    } catch {
      return drop()
    }
    if (replay instanceof Promise) replay.then((result) => catchUp(connection, from, result, startId), drop)
    else catchUp(connection, from, replay, startId)
  }

  /** Spends the client's replay budget on the events a resuming stream is about to be sent. */
  const chargeReplay = (connection: Connection, replay: Replay) => {
    const key = clientOf.get(connection)
    if (key !== undefined) replays.charge(key, replay.events.length)
  }

  return {
    events,
    get size() {
      return connections.size
    },
    get closed() {
      return closed
    },
    emit<TName extends EventName<TEvents>>(name: TName, ...args: [payload?: Payload<TEvents, TName>]) {
      if (closed) {
        throw new HeraldError('CHANNEL_CLOSED', `event '${String(name)}': the channel is closed`, {
          event: String(name),
        })
      }
      const data = encodePayload(events, name, args[0] as Payload<TEvents, TName>)
      // A UTF-16 string of n units is at most 3n UTF-8 bytes: count bytes only when it may matter.
      if (data.length * 3 > maxEventBytes && Buffer.byteLength(data) > maxEventBytes) {
        throw new HeraldError(
          'EVENT_TOO_LARGE',
          `event '${name}': ${Buffer.byteLength(data)} bytes encoded, over maxEventBytes (${maxEventBytes})`,
          { event: name },
        )
      }
      return engine.publish(name, data)
    },
    handle(request: StreamRequest, response: StreamResponse) {
      // HTTP/2's compatibility API has every member used here, under the same names.
      const req = request as IncomingMessage
      const res = response as ServerResponse
      // A client that left while earlier middleware was busy: its 'close' has already gone by,
      // so a connection opened now would never be released.
      if (gone(res)) return
      const socket = socketOf(req)
      if (socket !== undefined && unusable(socket)) {
        // Closed, or a request pipelined behind a stream: its answer could only follow the
        // stream's end, so it would wait forever. Nothing can be sent to it in order, so the
        // socket is closed (ending its stream too: no EventSource pipelines, only a hostile client).
        if (!socket.destroyed) socket.destroy()
        return
      }
      if (req.method !== 'GET') {
        // HEAD gets the headers of a stream and no stream; a body would never be sent anyway.
        if (req.method === 'HEAD') res.writeHead(200, streamHeaders(req))
        else res.writeHead(405, { allow: 'GET, HEAD' })
        return void res.end()
      }
      if (closed) {
        const wait = jitter(retryMs)
        return turnAway(res, 'closed', Buffer.from(`retry: ${wait}\n\n`), wait)
      }
      const header = req.headers['last-event-id']
      const raw = (Array.isArray(header) ? header[0] : header) ?? queryLastEventId(req.url)
      const resuming = raw !== undefined && raw !== ''
      const key = admission.admit(req)
      // A client that spent its replay budget comes back later with the same Last-Event-ID: it
      // misses nothing, and its replays cost at most the budget per window.
      const spent = key !== undefined && resuming && !replays.allows(key)
      if (key === undefined || spent) {
        if (spent) admission.release(key)
        const wait = jitter(
          Math.min(Math.max(busyRetryMs, spent ? replays.waitMs(key) : 0), Math.floor(MAX_DELAY_MS / 2)),
        )
        return turnAway(res, 'busy', formatControl('busy', { retryMs: wait }, { retryMs: wait }), wait)
      }
      // Counted from here on: whatever happens next, the slot is freed when the stream ends. That
      // is the response's 'close', or its socket's: a response Node queued never emits 'close'.
      let connection: Connection | undefined
      let open = true
      const release = () => {
        if (!open) return
        open = false
        if (socket !== undefined) {
          socket.off('close', release)
          releaseSocket(socket)
        }
        if (connection !== undefined) {
          connections.delete(connection)
          overflowing.delete(connection)
        }
        admission.release(key)
      }
      res.once('close', release)
      if (socket !== undefined) {
        claim(socket)
        socket.once('close', release)
      }
      flush() // so the stream joins after every event already sent to the others
      const startId = newest
      // Each stream's own retry: clients cut off together come back spread over [retryMs, 2·retryMs).
      // The hello carries the same value, the wait Herald's client allows for in its watchdog.
      const prelude = formatPrelude(jitter(retryMs), heartbeatMs, resuming ? undefined : startId)
      connection = openConnection(req, res, prelude)
      connections.add(connection)
      clientOf.set(connection, key)
      if (resuming) resume(connection, raw, startId)
    },
    async close() {
      if (closed) return
      closed = true
      flush()
      clearInterval(heartbeat)
      unsubscribe()
      // Spread the reconnections of every client over [retryMs, 2·retryMs).
      for (const connection of connections) connection.res.end(`retry: ${jitter(retryMs)}\n\n`)
      connections.clear()
      await engine.close()
    },
  }
}

function isEngine(value: unknown): boolean {
  const engine = value as Partial<Record<keyof ChannelEngine, unknown>> | null
  return (
    typeof engine === 'object' &&
    engine !== null &&
    ['publish', 'subscribe', 'replay', 'close'].every(
      (key) => typeof engine[key as keyof ChannelEngine] === 'function',
    ) &&
    typeof engine.lastId === 'string' &&
    isEpoch(engine.epoch) &&
    (engine.historySize === undefined || (Number.isSafeInteger(engine.historySize) && Number(engine.historySize) >= 0))
  )
}

/** The `lastEventId` query parameter of a request target; never throws, whatever the target. */
function queryLastEventId(url: string | undefined): string | undefined {
  const query = url?.indexOf('?') ?? -1
  if (query === -1 || !url?.includes('lastEventId=')) return undefined
  return new URLSearchParams(url.slice(query + 1)).get('lastEventId') ?? undefined
}
