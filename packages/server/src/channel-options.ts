// createChannel's options, checked and filled in with their defaults, in one place.
import { type AnyEvents, HeraldError } from '@herald/schema'
import type { ChannelEngine } from './engine.ts'
import { type EventId, isEpoch } from './event-id.ts'
import type { ExchangeRequest } from './exchange.ts'
import { createMemoryEngine } from './memory-engine.ts'
import { describe, functionOption, MAX_DELAY_MS, wholeNumberOption } from './options.ts'
import type { ChannelOptions } from './types.ts'

/** A channel's settings: every option checked, with its default. */
export interface ChannelSettings<TPublished extends EventId | Promise<EventId>> {
  heartbeatMs: number
  retryMs: number
  busyRetryMs: number
  maxBufferedBytes: number
  maxEventBytes: number
  maxQueuedEvents: number
  maxConnections: number
  maxConnectionsPerClient: number
  clientKey: (req: ExchangeRequest) => string
  replayBudget: number
  replayWindowMs: number
  engine: ChannelEngine<TPublished>
  /** The channel created the engine itself (no `engine` option), so closing the channel closes it. */
  ownsEngine: boolean
}

/** Numbers the requests whose client has no address, each a client key of its own. */
let unknownClients = 0

/** Checks `createChannel`'s arguments; throws `INVALID_OPTIONS` for any it cannot use. */
export function resolveChannelOptions<TPublished extends EventId | Promise<EventId>>(
  events: AnyEvents,
  options: ChannelOptions<TPublished>,
): ChannelSettings<TPublished> {
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
  const maxConnections = wholeNumberOption('maxConnections', options.maxConnections, Number.POSITIVE_INFINITY)
  const maxConnectionsPerClient = wholeNumberOption(
    'maxConnectionsPerClient',
    options.maxConnectionsPerClient,
    Number.POSITIVE_INFINITY,
  )
  const ownsEngine = options.engine === undefined
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
  const replayBudget = wholeNumberOption('replayBudget', options.replayBudget, historySize * 10)
  const replayWindowMs = wholeNumberOption('replayWindowMs', options.replayWindowMs, 60_000, MAX_DELAY_MS, 1)
  return {
    heartbeatMs,
    retryMs,
    busyRetryMs,
    maxBufferedBytes,
    maxEventBytes,
    maxQueuedEvents,
    maxConnections,
    maxConnectionsPerClient,
    // Node's requests, and the Fetch adapter's view of one (method, url, headers, socket.remoteAddress).
    clientKey:
      options.clientKey ??
      // A request without an address (a Fetch request not given one) is told apart from every
      // other: per-client limits cannot count it, rather than count every such client as one.
      ((req) => req.socket?.remoteAddress ?? `unknown:${++unknownClients}`),
    replayBudget,
    replayWindowMs,
    engine,
    ownsEngine,
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
