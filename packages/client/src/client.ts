import {
  type AnyEvents,
  decodePayload,
  type EventName,
  HeraldError,
  type Payload,
  RESERVED_PREFIX,
} from '@herald/schema'
import { FallbackEventSource } from '#fallback-event-source'
import { createBackoff } from './backoff.ts'
import type { EventSourceConstructor, EventSourceLike, HeraldEventSource } from './event-source.ts'
import { retryWaitOf } from './event-source.ts'
import { createHooks, type Hooks } from './hooks.ts'
import { checkOptions } from './options.ts'
import { createRedactor, redactUrl } from './redact.ts'
import { createIterator } from './stream.ts'
import type { ClientOptions, ConnectionState, EventMeta, HeraldClient, Listener, StreamOptions } from './types.ts'
import { openWatchedEventSource } from './watched-event-source.ts'

type AnyListener = (payload: unknown, meta: EventMeta) => void

const CLOSED = 2

/**
 * Connects to a Herald stream (or any SSE endpoint) with listeners typed by `events`. Every
 * payload is decoded and validated with its schema before a listener sees it; failures go to
 * `onError` and the stream carries on.
 */
export function createClient<TEvents extends AnyEvents>(
  events: TEvents,
  url: string | URL,
  options: ClientOptions = {},
): HeraldClient<TEvents> {
  if (typeof events !== 'object' || events === null || !(events.specs instanceof Map)) {
    throw new HeraldError('INVALID_OPTIONS', 'createClient() expects the result of defineEvents()')
  }
  checkOptions('createClient()', options, {
    EventSource: 'function',
    withCredentials: 'boolean',
    headers: 'headers',
    fetch: 'function',
    lastEventId: 'id',
  })
  const href = String(url)
  try {
    new URL(href, (globalThis as { location?: { href: string } }).location?.href)
  } catch {
    throw new HeraldError(
      'INVALID_OPTIONS',
      `createClient(): invalid URL ${JSON.stringify(createRedactor(href)(href).slice(0, 200))}`,
    )
  }
  // Messages go to logs: they show the URL without credentials (query values, userinfo), and
  // scrub them from any text that comes from elsewhere (a fetch error). `client.url` keeps it whole.
  const shown = redactUrl(href)
  const scrub = createRedactor(href)
  const listeners = new Map<string, Hooks<[unknown, EventMeta]>>()
  const openHooks = createHooks<[]>()
  const errorHooks = createHooks<[HeraldError]>()
  const stateHooks = createHooks<[ConnectionState]>()
  const closeHooks = createHooks<[]>()
  let state: ConnectionState = 'connecting'
  let lastEventId = options.lastEventId ?? ''

  // An error hook that throws has nowhere further to go; it must not stop the others.
  const report = (error: HeraldError) => errorHooks.call(() => {}, error)
  const failed = (event: string | undefined) => (error: unknown) =>
    report(
      new HeraldError(
        'LISTENER_FAILED',
        `${event === undefined ? 'a hook' : `event '${event}': a listener`} threw: ${describeThrown(error)}`,
        { event, cause: error },
      ),
    )
  const hookFailed = failed(undefined)

  // A function, not a test of `state` in place: any hook called in between may close the client.
  const closed = () => state === 'closed'
  // Closed is for good: no later event or hook moves the client out of it.
  const setState = (next: ConnectionState) => {
    if (state === next || closed()) return
    state = next
    stateHooks.call(hookFailed, next)
  }

  let source: EventSourceLike
  // Dead-connection watchdog. The server's `herald:hello` gives its heartbeat interval; when
  // nothing arrived for three intervals (plus the retry wait after a drop), the connection is
  // half-open: it is dropped and reopened from the last id. It keeps watching reconnection
  // attempts too, so one that is accepted but never answered is given up as well.
  let watchdog: ReturnType<typeof setInterval> | undefined
  let heartbeatMs = 0
  let retryMs = 3000 // the server's, from `herald:hello`
  let lastActivity = 0
  let allowance = 0 // extra quiet time allowed while the EventSource waits out `retry`
  // Watchdog reconnections wait like the EventSource's own: the server's retry time (at least a
  // floor), doubled while they keep coming, jittered; only a connection that lasted resets it.
  const stallBackoff = createBackoff()

  const touch = () => {
    lastActivity = Date.now()
    allowance = 0
  }

  const dispatch = (name: string) => (message: Event) => {
    if (state === 'closed') return
    touch()
    const { data, lastEventId: id } = message as MessageEvent<string>
    lastEventId = id
    const hooks = listeners.get(name)
    if (hooks === undefined || hooks.size === 0) return
    let payload: unknown
    try {
      payload = decodePayload(events, name, data)
    } catch (error) {
      report(error as HeraldError) // decodePayload throws only HeraldErrors
      return
    }
    hooks.call(failed(name), payload, { name, lastEventId: id })
  }

  // Reads a control event: it moves the stream's position like any event, and carries JSON.
  const control = (event: Event): Record<string, unknown> => {
    touch()
    const { data, lastEventId: id } = event as MessageEvent<string>
    lastEventId = id
    try {
      const parsed: unknown = JSON.parse(data)
      if (typeof parsed === 'object' && parsed !== null) return parsed as Record<string, unknown>
    } catch {
      // not from a Herald server; nothing to read
    }
    return {}
  }

  const stall = () => {
    source.close()
    report(new HeraldError('CONNECTION_LOST', `${shown}: nothing received for ${3 * heartbeatMs} ms; reconnecting`))
    setState('reconnecting')
    // A hook may have closed the client: then nothing reconnects it.
    if (closed()) return
    const wait = stallBackoff.schedule(retryMs, connect)
    // The new attempt's silence is counted from when it starts, and each attempt in a row gets
    // longer for its answer: a slow link is given time instead of being cut again and again.
    lastActivity = Date.now() + wait
    allowance = Math.min(3 * heartbeatMs * 2 ** (stallBackoff.failures - 1), 30_000)
  }

  const watch = (advertised: unknown) => {
    if (typeof advertised !== 'number' || !(advertised > 0)) {
      clearInterval(watchdog)
      watchdog = undefined
      return
    }
    // The interval comes from the server: keep a hostile or broken value within sane bounds.
    const interval = Math.min(Math.max(advertised, 25), 600_000)
    if (watchdog !== undefined && interval === heartbeatMs) return
    clearInterval(watchdog)
    heartbeatMs = interval
    watchdog = setInterval(() => {
      // The server pings a stream after a whole idle interval, so up to two may pass in silence.
      if (Date.now() - lastActivity > 3 * heartbeatMs + allowance) stall()
    }, heartbeatMs)
    ;(watchdog as { unref?: () => void }).unref?.()
  }

  function connect() {
    const current = openEventSource(
      href,
      options,
      lastEventId,
      retryMs,
      (message) => report(new HeraldError('DECODE_FAILED', `${shown}: ${message}`)),
      // Herald's EventSource shows every message, so one named outside the contract is reported
      // too, instead of vanishing for want of a listener. Not the protocol's own `herald:` events
      // (a newer server may add some), nor the names already listened for here.
      (message) => {
        const { type } = message
        if (source !== current || closed() || events.specs.has(type) || type.startsWith(RESERVED_PREFIX)) return
        if (type !== 'message' && type !== 'open' && type !== 'error') undeclared(message)
      },
    )
    source = current
    const on = (type: string, fn: (event: Event) => void) =>
      current.addEventListener(type, (event) => {
        if (source === current) fn(event)
      })
    for (const name of events.names) on(name, dispatch(name))
    // A message the contract doesn't declare: one without an `event:` field ('message'), one
    // named like the EventSource's own `open` and `error` (names defineEvents refuses), or, under
    // Herald's EventSource, any other name outside the map. The stream carries on.
    const undeclared = (message: MessageEvent) => {
      lastEventId = message.lastEventId
      report(new HeraldError('UNKNOWN_EVENT', `event '${message.type}': not in the event map`, { event: message.type }))
    }
    if (!events.specs.has('message')) on('message', (message) => undeclared(message as MessageEvent))
    on('herald:hello', (event) => {
      const hello = control(event)
      // Used for the watchdog's allowance only; bounded like the heartbeat interval.
      if (typeof hello['retryMs'] === 'number') retryMs = Math.min(Math.max(hello['retryMs'], 0), 600_000) || 0
      watch(hello['heartbeatMs'])
    })
    on('herald:ping', () => touch())
    on('herald:gap', (event) => {
      const { lastEventId: from } = control(event)
      report(
        new HeraldError(
          'HISTORY_GAP',
          `${shown}: the server no longer holds every event after ${JSON.stringify(String(from).slice(0, 64))}; some were missed, refetch your state`,
        ),
      )
    })
    on('herald:busy', (event) => {
      const { retryMs: wait } = control(event)
      report(
        new HeraldError(
          'OVER_CAPACITY',
          `${shown}: the server is at its connection limit; retrying in ${String(wait)} ms`,
        ),
      )
    })
    on('open', (event) => {
      if (state === 'closed') return
      if (event instanceof MessageEvent) return undeclared(event)
      touch()
      stallBackoff.opened()
      setState('open')
      if (!closed()) openHooks.call(hookFailed)
    })
    on('error', (event) => {
      if (state === 'closed') return
      if (event instanceof MessageEvent) return undeclared(event)
      if (current.readyState !== CLOSED) {
        // The EventSource reconnects by itself after `retry`: give it that long before watching.
        lastActivity = Date.now()
        allowance = retryWaitOf(event) ?? retryMs
        const { message: reason, status } = event as Event & { message?: string; status?: number }
        // A status while reconnecting is Herald's turn-away, seen by Herald's EventSource.
        if (status === undefined) {
          const why = scrub(reason ?? 'the connection dropped; reconnecting')
          report(new HeraldError('CONNECTION_LOST', `${shown}: ${why}`))
        } else {
          report(new HeraldError('OVER_CAPACITY', `${shown}: ${scrub(reason ?? 'the server is busy')}`, { status }))
        }
        setState('reconnecting')
        return
      }
      const status = (event as Event & { status?: number }).status
      if (status !== 204) {
        const reason = status === undefined ? 'the connection failed' : `HTTP ${status}`
        report(new HeraldError('CONNECTION_FAILED', `${shown}: ${reason}; not retrying`, { status }))
      }
      shutDown()
    })
  }
  connect()

  const listenersOf = (name: string) => {
    let hooks = listeners.get(name)
    if (hooks === undefined) {
      if (!events.specs.has(name)) {
        throw new HeraldError('UNKNOWN_EVENT', `event '${name}': not in the event map`, { event: name })
      }
      hooks = createHooks()
      listeners.set(name, hooks)
    }
    return hooks
  }

  function shutDown() {
    if (closed()) return
    clearInterval(watchdog)
    stallBackoff.cancel()
    source.close()
    setState('closed')
    closeHooks.call(hookFailed)
  }

  const client: HeraldClient<TEvents> = {
    events,
    url: href,
    get state() {
      return state
    },
    get lastEventId() {
      return lastEventId
    },
    on(name, listener) {
      return listenersOf(name).add(listener as AnyListener)
    },
    once(name, listener) {
      return listenersOf(name).add(listener as AnyListener, true)
    },
    off(name, listener) {
      listeners.get(name)?.remove(listener as AnyListener)
    },
    stream<TName extends EventName<TEvents>>(name: TName, streamOptions: StreamOptions = {}) {
      listenersOf(name)
      return createIterator<Payload<TEvents, TName>>({
        subscribe: (push) => client.on(name, push as Listener<TEvents, TName>),
        onEnd: (end) => {
          if (state !== 'closed') return closeHooks.add(end)
          queueMicrotask(end)
          return () => {}
        },
        signal: streamOptions.signal,
      })
    },
    onOpen: (hook) => openHooks.add(hook),
    onError: (hook) => errorHooks.add(hook),
    onState: (hook) => stateHooks.add(hook),
    close() {
      shutDown()
    },
  }
  return client
}

function openEventSource(
  url: string,
  options: ClientOptions,
  lastEventId: string,
  retryMs: number,
  onParseError: (message: string) => void,
  onMessage: (message: MessageEvent<string>) => void,
): EventSourceLike {
  const init = { withCredentials: options.withCredentials ?? false }
  const wantsFetch = options.headers !== undefined || options.fetch !== undefined
  const given = options.EventSource
  // `HeraldEventSource` (or a subclass) given with `headers` or `fetch` is used as Herald's own,
  // below: how a browser bundle, which leaves it out by default, sends headers.
  const heraldGiven = given !== undefined && wantsFetch && takesHeaders(given)
  if (given !== undefined && !heraldGiven) {
    if (wantsFetch) {
      throw new HeraldError(
        'INVALID_OPTIONS',
        "options 'headers' and 'fetch' need Herald's EventSource: drop 'EventSource' or pass HeraldEventSource",
      )
    }
    return new given(withLastEventId(url, lastEventId), init)
  }
  const native = (globalThis as { EventSource?: EventSourceConstructor }).EventSource
  if (native !== undefined && !wantsFetch) return new native(withLastEventId(url, lastEventId), init)
  const Herald = heraldGiven ? (given as typeof HeraldEventSource) : FallbackEventSource
  if (Herald === undefined) {
    const need = wantsFetch ? "options 'headers' and 'fetch' need" : 'this runtime has no EventSource: use'
    throw new HeraldError(
      'INVALID_OPTIONS',
      `${need} Herald's EventSource, which browser bundles leave out: pass { EventSource: HeraldEventSource }`,
    )
  }
  const herald = {
    ...init,
    lastEventId,
    retryMs,
    onParseError,
    ...(options.headers === undefined ? {} : { headers: options.headers }),
    ...(options.fetch === undefined ? {} : { fetch: options.fetch }),
  }
  return openWatchedEventSource(Herald, url, herald, onMessage)
}

/** Whether `EventSource` is Herald's (or a subclass), which takes `headers` and `fetch`. */
function takesHeaders(EventSource: EventSourceConstructor): boolean {
  return (EventSource as { takesHeaders?: unknown }).takesHeaders === true
}

/**
 * Adds `lastEventId` to the URL of a first request: an EventSource has no way to send the
 * `Last-Event-ID` header before it has received an id itself. Herald's server reads either.
 */
function withLastEventId(url: string, lastEventId: string): string {
  if (lastEventId === '') return url
  const parsed = new URL(url, (globalThis as { location?: { href: string } }).location?.href)
  parsed.searchParams.set('lastEventId', lastEventId)
  return parsed.href
}

/** What a listener threw, in words; never throws itself (`String(Object.create(null))` does). */
function describeThrown(error: unknown): string {
  try {
    return String(error)
  } catch {
    return 'a value with no string form'
  }
}
