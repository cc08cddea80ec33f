import { type AnyEvents, decodePayload, type EventName, HeraldError, isHeraldError, type Payload } from '@herald/schema'
import { type EventSourceConstructor, type EventSourceLike, HeraldEventSource } from './event-source.ts'
import { createHooks, type Hooks } from './hooks.ts'
import { createIterator } from './stream.ts'
import type { ClientOptions, ConnectionState, EventMeta, HeraldClient, Listener, StreamOptions } from './types.ts'

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
  const href = String(url)
  const listeners = new Map<string, Hooks<[unknown, EventMeta]>>()
  const openHooks = createHooks<[]>()
  const errorHooks = createHooks<[HeraldError]>()
  const stateHooks = createHooks<[ConnectionState]>()
  const closeHooks = createHooks<[]>()
  let state: ConnectionState = 'connecting'
  let lastEventId = options.lastEventId ?? ''

  const report = (error: unknown, event?: string) => {
    const heraldError = isHeraldError(error)
      ? error
      : new HeraldError('LISTENER_FAILED', `event '${event}': a listener threw: ${String(error)}`, {
          event,
          cause: error,
        })
    // An error hook that throws has nowhere further to go; it must not stop the others.
    errorHooks.call(() => {}, heraldError)
  }

  const setState = (next: ConnectionState) => {
    if (state === next) return
    state = next
    stateHooks.call(report, next)
  }

  const source = openEventSource(withLastEventId(href, options.lastEventId), options)

  const dispatch = (name: string) => (message: Event) => {
    if (state === 'closed') return
    const { data, lastEventId: id } = message as MessageEvent<string>
    lastEventId = id
    const hooks = listeners.get(name)
    if (hooks === undefined || hooks.size === 0) return
    let payload: unknown
    try {
      payload = decodePayload(events, name, data)
    } catch (error) {
      report(error, name)
      return
    }
    hooks.call((error) => report(error, name), payload, { name, lastEventId: id })
  }

  for (const name of events.names) source.addEventListener(name, dispatch(name))
  if (!events.specs.has('message')) {
    // Events without an `event:` field arrive as 'message', which this contract doesn't declare.
    source.addEventListener('message', (message) => {
      lastEventId = (message as MessageEvent).lastEventId
      report(new HeraldError('UNKNOWN_EVENT', `event 'message': not in the event map`, { event: 'message' }))
    })
  }
  source.addEventListener('open', () => {
    if (state === 'closed') return
    setState('open')
    openHooks.call(report)
  })
  source.addEventListener('error', (event) => {
    if (state === 'closed') return
    if (source.readyState !== CLOSED) {
      setState('reconnecting')
      return
    }
    const status = (event as Event & { status?: number }).status
    if (status !== 204) {
      const reason = status === undefined ? 'the connection failed' : `HTTP ${status}`
      report(new HeraldError('CONNECTION_FAILED', `${href}: ${reason}; not retrying`, { status }))
    }
    shutDown()
  })

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
    source.close()
    setState('closed')
    closeHooks.call(report)
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
      const hooks = listenersOf(name)
      const wrapper: AnyListener = (payload, meta) => {
        hooks.remove(wrapper)
        ;(listener as AnyListener)(payload, meta)
      }
      return hooks.add(wrapper)
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
      if (state !== 'closed') shutDown()
    },
  }
  return client
}

function openEventSource(url: string, options: ClientOptions): EventSourceLike {
  const init = { withCredentials: options.withCredentials ?? false }
  const wantsFetch = options.headers !== undefined || options.fetch !== undefined
  if (options.EventSource !== undefined) {
    if (wantsFetch) {
      throw new HeraldError(
        'INVALID_OPTIONS',
        "options 'headers' and 'fetch' need Herald's EventSource: drop 'EventSource'",
      )
    }
    return new options.EventSource(url, init)
  }
  const native = (globalThis as { EventSource?: EventSourceConstructor }).EventSource
  if (native !== undefined && !wantsFetch) return new native(url, init)
  return new HeraldEventSource(url, {
    ...init,
    ...(options.headers === undefined ? {} : { headers: options.headers }),
    ...(options.fetch === undefined ? {} : { fetch: options.fetch }),
  })
}

/** Adds `lastEventId` to the first request's URL: an EventSource cannot set the header itself. */
function withLastEventId(url: string, lastEventId: string | undefined): string {
  if (lastEventId === undefined || lastEventId === '') return url
  const parsed = new URL(url, (globalThis as { location?: { href: string } }).location?.href)
  parsed.searchParams.set('lastEventId', lastEventId)
  return parsed.href
}
