import { type AnyEvents, assertTopic, type EventName, HeraldError, type Payload, type Topic } from '@herald/schema'
import { createBackoff } from './backoff.ts'
import { checkArguments } from './client-arguments.ts'
import type { Connection, ConnectionContext } from './connection.ts'
import { type AnyListener, createEventListeners, listenerError } from './event-listeners.ts'
import { chooseEventSource } from './event-source-choice.ts'
import { createHooks } from './hooks.ts'
import { reasonOf } from './reason.ts'
import { redactUrl } from './redact.ts'
import { createIterator } from './stream.ts'
import { createTopicSet } from './topic-set.ts'
import type { ClientOptions, ConnectionState, HeraldClient, Listener, StreamOptions } from './types.ts'

/** The first wait before loading the connection's code again; it doubles while loads fail. */
const LOAD_RETRY_MS = 1000

/**
 * Connects to a Herald stream (or any SSE endpoint) with listeners typed by `events`. Every
 * payload is decoded and validated with its schema before a listener sees it; failures go to
 * `onError` and the stream carries on.
 */
export function createClient<TEvents extends AnyEvents>(
  events: TEvents,
  url: string | URL,
  options: NoInfer<ClientOptions<TEvents>> = {},
): HeraldClient<TEvents> {
  const href = checkArguments(events, url, options)
  const eventSource = chooseEventSource(options)
  const topics = createTopicSet(events, options.topics ?? [])
  // Messages go to logs: they show the URL without credentials (query values, userinfo).
  // `client.url` keeps it whole.
  const shown = redactUrl(href)
  const openHooks = createHooks<[]>()
  const errorHooks = createHooks<[HeraldError]>()
  const stateHooks = createHooks<[ConnectionState]>()
  const closeHooks = createHooks<[]>()
  let state: ConnectionState = 'connecting'
  let lastEventId = options.lastEventId ?? ''
  const moved = (id: string) => {
    lastEventId = id
  }

  // An error hook that throws has nowhere further to go; it must not stop the others.
  const report = (error: HeraldError) => errorHooks.call(() => {}, error)
  const failed = (event: string | undefined) => (thrown: unknown) => report(listenerError(event, thrown))
  const hookFailed = failed(undefined)
  const listeners = createEventListeners(events, failed)

  // A function, not a test of `state` in place: any hook called in between may close the client.
  const closed = () => state === 'closed'
  // Closed is for good: no later event or hook moves the client out of it.
  const setState = (next: ConnectionState) => {
    if (state === next || closed()) return
    state = next
    stateHooks.call(hookFailed, next)
  }

  // The connection's code loads with the first client (a chunk of its own in a browser bundle);
  // calls made meanwhile act on the state above, which the connection reads when it starts.
  let connection: Connection | undefined
  // One schedule for every reconnect the client makes itself, loading its code included.
  const backoff = createBackoff()
  const context: ConnectionContext<TEvents> = {
    events,
    href,
    shown,
    // Read now, as the checks read them: setting an option on the object later changes nothing.
    options: {
      ticket: options.ticket,
      withCredentials: options.withCredentials,
      headers: options.headers,
      fetch: options.fetch,
    },
    eventSource,
    selfCheck: options.selfCheck ? options.selfCheck({ shown, report, names: events.names }) : undefined,
    backoff,
    topics,
    listeners,
    lastEventId: () => lastEventId,
    moved,
    report,
    setState,
    closed,
    opened: () => openHooks.call(hookFailed),
    ended: shutDown,
  }
  const load = () =>
    import('./connection.ts').then(
      ({ startConnection }) => {
        if (!closed()) connection = startConnection(context)
      },
      (error: unknown) => {
        // A network failure, or a page older than a deploy whose chunk is gone (a reload mends
        // that): retried as a lost connection is.
        if (closed()) return
        const waitMs = backoff.schedule(LOAD_RETRY_MS, load)
        report(
          new HeraldError(
            'CONNECTION_LOST',
            `${shown}: could not load the connection's code: ${reasonOf(error)}; retrying in ${waitMs} ms`,
            { cause: error },
          ),
        )
        setState('reconnecting')
      },
    )
  load()

  // A change of topics is a deliberate reconnect, not a lost connection: no error, no backoff.
  // Changes made in one tick make one reconnect, and none when they cancel out.
  const switchTopics = () =>
    queueMicrotask(() => {
      if (!closed() && topics.changed) connection?.switchTopics()
    })

  function shutDown() {
    if (closed()) return
    backoff.cancel()
    connection?.close()
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
    get topics() {
      return topics.joined as readonly Topic<TEvents>[]
    },
    subscribe(topic) {
      assertTopic(events, topic)
      if (closed()) throw new HeraldError('CHANNEL_CLOSED', `${shown}: subscribe('${topic}') after close()`, { topic })
      if (topics.add(topic)) switchTopics()
    },
    unsubscribe(topic) {
      assertTopic(events, topic)
      if (!closed() && topics.remove(topic)) switchTopics()
    },
    on: (name, listener) => listeners.add(name, listener as AnyListener),
    once: (name, listener) => listeners.add(name, listener as AnyListener, true),
    off: (name, listener) => listeners.remove(name, listener as AnyListener),
    stream<TName extends EventName<TEvents>>(name: TName, streamOptions: StreamOptions = {}) {
      listeners.check(name)
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
