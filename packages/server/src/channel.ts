import type { IncomingMessage, ServerResponse } from 'node:http'
import { type AnyEvents, type EventName, encodePayload, HeraldError, type Payload } from '@herald/schema'
import { type Connection, openConnection, write } from './connection.ts'
import { type ChannelEngine, createMemoryEngine } from './engine.ts'
import { compareEventIds, type EventId, parseEventId } from './event-id.ts'
import { formatEvent, formatPrelude, HEARTBEAT } from './format.ts'
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
  const prelude = formatPrelude(wholeNumberOption('retryMs', options.retryMs, 2000))
  const historySize = wholeNumberOption('historySize', options.historySize, 1000)
  const engine = options.engine ?? (createMemoryEngine({ historySize }) as unknown as ChannelEngine<TPublished>)

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

  // One timer for every stream: a connection that got nothing since the last tick gets a comment.
  const heartbeat =
    heartbeatMs === 0
      ? undefined
      : setInterval(() => {
          for (const connection of connections) {
            if (connection.idle) write(connection, HEARTBEAT)
            connection.idle = true
          }
        }, heartbeatMs).unref()

  const finishReplay = (connection: Connection, from: EventId, replay: Replay) => {
    if (connection.res.destroyed) return
    let last = from
    for (const event of replay.events) {
      write(connection, frameOf(event))
      last = event.id
    }
    // Live events that arrived during an asynchronous replay, minus those the replay already held.
    for (const event of connection.pending ?? []) {
      if (compareEventIds(event.id, last) > 0) write(connection, frameOf(event))
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
      return engine.publish(name, data)
    },
    handle(req: IncomingMessage, res: ServerResponse) {
      if (closed) {
        // A stream that opens and ends at once: the client retries later, maybe elsewhere.
        openConnection(req, res, prelude)
        res.end()
        return
      }
      const connection = openConnection(req, res, prelude)
      connections.add(connection)
      res.once('close', () => connections.delete(connection))
      const from = parseEventId(req.headers['last-event-id'] ?? queryLastEventId(req.url))
      if (from === undefined) return
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
      for (const connection of connections) connection.res.end()
      connections.clear()
      await engine.close()
    },
  }
}

function queryLastEventId(url: string | undefined): string | undefined {
  if (url === undefined || !url.includes('lastEventId=')) return undefined
  return new URL(url, 'http://localhost').searchParams.get('lastEventId') ?? undefined
}
