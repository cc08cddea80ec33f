import {
  type AnyEvents,
  assertTopic,
  type EventName,
  HeraldError,
  type Payload,
  RESERVED_PREFIX,
  type Topic,
} from '@herald/schema'
import { createBackoff } from './backoff.ts'
import { checkArguments } from './client-arguments.ts'
import { droppedError, failedError, listenerError } from './client-errors.ts'
import { listenControl } from './control-events.ts'
import { type AnyListener, createEventListeners } from './event-listeners.ts'
import type { EventSourceLike } from './event-source.ts'
import { retryWaitOf } from './event-source.ts'
import { createHooks } from './hooks.ts'
import { createOpener } from './open-event-source.ts'
import { createRedactor, redactUrl } from './redact.ts'
import { createSchemaCheck } from './schema-check.ts'
import { createIterator } from './stream.ts'
import { fetchTicket } from './ticket.ts'
import { createTopicSet, streamUrl } from './topic-set.ts'
import type { ClientOptions, ConnectionState, HeraldClient, Listener, StreamOptions } from './types.ts'
import { createWatchdog } from './watchdog.ts'

const CLOSED = 2

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
  const openEventSource = createOpener(options)
  const topics = createTopicSet(events, options.topics ?? [])
  const { ticket } = options
  // Messages go to logs: they show the URL without credentials (query values, userinfo), and
  // scrub them from any text that comes from elsewhere (a fetch error). `client.url` keeps it whole.
  const shown = redactUrl(href)
  const scrub = createRedactor(href)
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
  const selfCheck = options.selfCheck ? options.selfCheck({ shown, report, names: events.names }) : undefined
  const failed = (event: string | undefined) => (thrown: unknown) => report(listenerError(event, thrown))
  const hookFailed = failed(undefined)
  const listeners = createEventListeners(events, { report, failed })
  const checkSchema = createSchemaCheck(events, shown, report)

  // A function, not a test of `state` in place: any hook called in between may close the client.
  const closed = () => state === 'closed'
  // Closed is for good: no later event or hook moves the client out of it.
  const setState = (next: ConnectionState) => {
    if (state === next || closed()) return
    state = next
    stateHooks.call(hookFailed, next)
  }

  let source: EventSourceLike | undefined
  // Counts connections: a ticket that arrives for one no longer current is dropped.
  let attempt = 0
  // One schedule for every reconnect the client makes itself: the watchdog's, and with `ticket` all.
  const backoff = createBackoff()
  const watchdog = createWatchdog({
    onStall(silentMs) {
      source?.close()
      report(new HeraldError('CONNECTION_LOST', `${shown}: nothing received for ${silentMs} ms; reconnecting`))
      setState('reconnecting')
    },
    reconnect: connect,
    backoff,
  })
  const reconnectLater = (baseMs: number) => {
    const waitMs = backoff.schedule(baseMs, connect)
    watchdog.waiting(waitMs)
    return waitMs
  }

  // A message the contract doesn't declare: one without an `event:` field ('message'), one
  // named like the EventSource's own `open` and `error` (names defineEvents refuses), or, under
  // Herald's EventSource, any other name outside the map. The stream carries on.
  const undeclared = (message: MessageEvent) => {
    moved(message.lastEventId)
    report(new HeraldError('UNKNOWN_EVENT', `event '${message.type}': not in the event map`, { event: message.type }))
  }

  // Opens a new connection (closing the one before) asking for the topics wanted now; with
  // `ticket`, once a fresh ticket is in hand.
  function connect() {
    const current = ++attempt
    source?.close()
    const asked = topics.connecting()
    if (ticket === undefined) return listen(streamUrl(href, asked))
    fetchTicket(ticket, asked as readonly Topic<TEvents>[], shown, scrub).then(
      (value) => {
        if (current === attempt && !closed()) listen(streamUrl(href, asked, value))
      },
      (error: HeraldError) => {
        if (current !== attempt || closed()) return
        reconnectLater(watchdog.retryMs)
        report(error)
        setState('reconnecting')
      },
    )
  }

  function listen(streamHref: string) {
    const current = openEventSource({
      url: streamHref,
      lastEventId,
      retryMs: watchdog.retryMs,
      onParseError: (message) => report(new HeraldError('DECODE_FAILED', `${shown}: ${message}`)),
      // Herald's EventSource shows every message, so one named outside the contract is reported
      // too, instead of vanishing for want of a listener. Not the protocol's own `herald:` events
      // (a newer server may add some), nor the names already listened for here.
      onMessage: (message) => {
        const { type } = message
        if (source !== current || closed() || events.specs.has(type) || type.startsWith(RESERVED_PREFIX)) return
        if (type !== 'message' && type !== 'open' && type !== 'error') undeclared(message)
      },
    })
    source = current
    const on = (type: string, fn: (event: Event) => void) =>
      current.addEventListener(type, (event) => {
        if (source === current) fn(event)
      })
    selfCheck?.listen(on)
    for (const name of events.names) {
      on(name, (event) => {
        if (closed()) return
        watchdog.touch()
        const { data, lastEventId: id } = event as MessageEvent<string>
        moved(id)
        listeners.deliver(name, data, id)
      })
    }
    if (!events.specs.has('message')) on('message', (message) => undeclared(message as MessageEvent))
    listenControl(on, {
      shown,
      report,
      moved,
      watchdog,
      joined: topics.hello,
      refused: topics.refused,
      schema: checkSchema,
    })
    on('open', (event) => {
      if (closed()) return
      if (event instanceof MessageEvent) return undeclared(event)
      watchdog.touch()
      watchdog.opened()
      setState('open')
      if (!closed()) openHooks.call(hookFailed)
    })
    on('error', (event) => {
      if (closed()) return
      if (event instanceof MessageEvent) return undeclared(event)
      if (current.readyState !== CLOSED) {
        // The wait the client keeps itself, which its error must announce instead of the closed EventSource's.
        let waitMs: number | undefined
        if (ticket === undefined && !topics.changed) {
          // The EventSource reconnects by itself after `retry`: give it that long before watching.
          watchdog.waiting(retryWaitOf(event))
        } else {
          // It would reconnect to the same URL, with a ticket already used or a topic refused
          // since: the client reconnects itself, with a URL of its own.
          current.close()
          waitMs = reconnectLater(retryWaitOf(event) ?? watchdog.retryMs)
        }
        report(droppedError(event, shown, scrub, waitMs))
        setState('reconnecting')
        return
      }
      const error = failedError(event, shown)
      if (error !== undefined) report(error)
      shutDown()
    })
  }
  connect()

  // A change of topics is a deliberate reconnect, not a lost connection: no error, no backoff.
  // Changes made in one tick make one reconnect, and none when they cancel out.
  const switchTopics = () =>
    queueMicrotask(() => {
      if (closed() || !topics.changed) return
      backoff.cancel()
      watchdog.touch()
      setState('connecting')
      if (!closed()) connect()
    })

  function shutDown() {
    if (closed()) return
    watchdog.stop()
    source?.close()
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
