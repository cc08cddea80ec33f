import type { IncomingMessage, ServerResponse } from 'node:http'
import { type AnyEvents, type EventName, encodePayload, HeraldError, type Payload } from '@herald/schema'
import { createAdmission } from './admission.ts'
import { type Connection, openConnection, write } from './connection.ts'
import { type ChannelEngine, createMemoryEngine } from './engine.ts'
import { compareEventIds, type EventId, parseEventId } from './event-id.ts'
import { formatControl, formatEvent, formatPrelude, HEARTBEAT, jitter } from './format.ts'
import type { Replay, StoredEvent } from './history.ts'
import { wholeNumberOption } from './options.ts'
import type { Channel, ChannelOptions } from './types.ts'

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
  const heartbeatMs = wholeNumberOption('heartbeatMs', options.heartbeatMs, 15_000)
  const retryMs = wholeNumberOption('retryMs', options.retryMs, 2000)
  const busyRetryMs = wholeNumberOption('busyRetryMs', options.busyRetryMs, 10_000)
  const maxBufferedBytes = wholeNumberOption('maxBufferedBytes', options.maxBufferedBytes, 1 << 20)
  const maxEventBytes = wholeNumberOption('maxEventBytes', options.maxEventBytes, 1 << 18)
  const historySize = wholeNumberOption('historySize', options.historySize, 1000)
  const admission = createAdmission({
    maxConnections: wholeNumberOption('maxConnections', options.maxConnections, Number.POSITIVE_INFINITY),
    maxConnectionsPerClient: wholeNumberOption(
      'maxConnectionsPerClient',
      options.maxConnectionsPerClient,
      Number.POSITIVE_INFINITY,
    ),
    clientKey: options.clientKey ?? ((req) => req.socket?.remoteAddress ?? ''),
  })
  const engine = options.engine ?? (createMemoryEngine({ historySize }) as unknown as ChannelEngine<TPublished>)
  const prelude = formatPrelude(retryMs, heartbeatMs)

  const connections = new Set<Connection>()
  const frames = new WeakMap<StoredEvent, Buffer>()
  let closed = false

  const frameOf = (event: StoredEvent): Buffer => {
    let frame = frames.get(event)
    if (frame === undefined) {
      frame = formatEvent(event.id, event.name, event.data)
      frames.set(event, frame)
    }
    return frame
  }

  // The fan-out loop: one frame per event, the same Buffer written to every stream.
  const unsubscribe = engine.subscribe((event) => {
    const frame = frameOf(event)
    for (const connection of connections) {
      if (connection.pending === undefined) write(connection, frame)
      else connection.pending.push(event)
    }
  })

  // One timer for every stream: a connection that got nothing since the last tick gets a ping.
  const heartbeat =
    heartbeatMs === 0
      ? undefined
      : setInterval(() => {
          for (const connection of connections) {
            if (connection.idle) write(connection, HEARTBEAT)
            connection.idle = true
          }
        }, heartbeatMs).unref()

  /** Answers with a stream that carries only `block` and ends: the client comes back after `retry:`. */
  const turnAway = (res: ServerResponse, block: Buffer) => {
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
    })
    res.end(block)
  }

  const finishReplay = (connection: Connection, from: string, replay: Replay) => {
    if (connection.res.destroyed) return
    let last: EventId | undefined
    for (const event of replay.events) {
      write(connection, frameOf(event))
      last = event.id
    }
    if (replay.gap) write(connection, formatControl('gap', { lastEventId: from.slice(0, 64) }))
    else last ??= from as EventId
    // Live events that arrived during an asynchronous replay, minus those the replay already held.
    for (const event of connection.pending ?? []) {
      if (last === undefined || compareEventIds(event.id, last) > 0) write(connection, frameOf(event))
    }
    connection.pending = undefined
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
      if (closed) throw new HeraldError('CHANNEL_CLOSED', `event '${name}': the channel is closed`, { event: name })
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
    handle(req: IncomingMessage, res: ServerResponse) {
      if (closed) return turnAway(res, Buffer.from(`retry: ${jitter(retryMs)}\n\n`))
      const key = admission.admit(req)
      if (key === undefined) {
        const wait = jitter(busyRetryMs)
        return turnAway(res, formatControl('busy', { retryMs: wait }, wait))
      }
      const connection = openConnection(req, res, prelude, maxBufferedBytes)
      connections.add(connection)
      res.once('close', () => {
        connections.delete(connection)
        admission.release(key)
      })
      const header = req.headers['last-event-id']
      const raw = (Array.isArray(header) ? header[0] : header) ?? queryLastEventId(req.url)
      if (raw === undefined || raw === '') return
      const from = parseEventId(raw)
      if (from === undefined) return finishReplay(connection, raw, { events: [], gap: true })
      connection.pending = []
      const replay = engine.replay(from)
      if (replay instanceof Promise) {
        replay.then(
          (result) => finishReplay(connection, from, result),
          () => res.destroy(), // the client reconnects and tries again
        )
      } else {
        finishReplay(connection, from, replay)
      }
    },
    async close() {
      if (closed) return
      closed = true
      clearInterval(heartbeat)
      unsubscribe()
      // Spread the reconnections of every client over [retryMs, 2·retryMs).
      for (const connection of connections) connection.res.end(`retry: ${jitter(retryMs)}\n\n`)
      connections.clear()
      await engine.close()
    },
  }
}

function queryLastEventId(url: string | undefined): string | undefined {
  if (url === undefined || !url.includes('lastEventId=')) return undefined
  return new URL(url, 'http://localhost').searchParams.get('lastEventId') ?? undefined
}
