// A client's connection: opening the EventSource (with a fresh ticket each time, when asked),
// reading the contract's events and Herald's control events off it, and reconnecting. The client
// loads this module when it is created (`import()`), so a browser bundle splits it out of the code
// a page loads up front.

import { type AnyEvents, decodePayload, HeraldError, RESERVED_PREFIX, type Topic } from '@herald/schema'
import type { Backoff } from './backoff.ts'
import { droppedError, failedError } from './client-errors.ts'
import { listenControl } from './control-events.ts'
import type { EventListeners } from './event-listeners.ts'
import type { EventSourceLike } from './event-source.ts'
import { retryWaitOf } from './event-source.ts'
import type { EventSourceChoice } from './event-source-choice.ts'
import { createOpener } from './open-event-source.ts'
import { reasonOf } from './reason.ts'
import { createRedactor } from './redactor.ts'
import { createSchemaCheck } from './schema-check.ts'
import type { SelfCheckRun } from './self-check.ts'
import { fetchTicket } from './ticket.ts'
import { streamUrl, type TopicSet } from './topic-set.ts'
import type { ClientOptions, ConnectionState } from './types.ts'
import { createWatchdog } from './watchdog.ts'

const CLOSED = 2

/** What a client hands its connection: what it was created with, and its own state. */
export interface ConnectionContext<TEvents extends AnyEvents = AnyEvents> {
  readonly events: TEvents
  /** The stream URL, whole. */
  readonly href: string
  /** The stream URL as messages show it, without credentials. */
  readonly shown: string
  /** The options the connection uses, read when `createClient` was called. */
  readonly options: Pick<ClientOptions<TEvents>, 'ticket' | 'withCredentials' | 'headers' | 'fetch'>
  /** The EventSource the client chose when it was created. */
  readonly eventSource: EventSourceChoice
  /** The client's `selfCheck`, created with it. */
  readonly selfCheck: SelfCheckRun | undefined
  /** The client's reconnection schedule. */
  readonly backoff: Backoff
  readonly topics: TopicSet
  readonly listeners: EventListeners
  /** The id the stream resumes from. */
  lastEventId(): string
  /** The stream's position moved to `id`. */
  moved(id: string): void
  /** Reports an error to the client's `onError` hooks. */
  report(error: HeraldError): void
  setState(state: ConnectionState): void
  /** Whether the client is closed, for good; any hook called may have closed it. */
  closed(): boolean
  /** A connection opened: the client calls its `onOpen` hooks. */
  opened(): void
  /** The server ended the stream for good: the client closes. */
  ended(): void
}

/** A client's running connection. */
export interface Connection {
  /** Reconnects at once, asking for the topics asked for now: a change of topics is no lost connection (no error, no backoff). */
  switchTopics(): void
  /** Closes the EventSource and stops every timer. */
  close(): void
}

/** Opens a client's first connection and keeps it open until `close()`. */
export function startConnection<TEvents extends AnyEvents>(context: ConnectionContext<TEvents>): Connection {
  const { events, href, shown, options, selfCheck, backoff, topics, listeners, report, setState, closed, moved } =
    context
  const { ticket } = options
  // Messages scrub the URL's credentials from any text that comes from elsewhere (a fetch error).
  const scrub = createRedactor(href)
  const openEventSource = createOpener(context.eventSource, options)
  const checkSchema = createSchemaCheck(events, shown, report)

  let source: EventSourceLike | undefined
  // Counts connections: a ticket that arrives for one no longer current is dropped.
  let attempt = 0
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

  // An EventSource that throws (a custom one), or a selfCheck's listener, would throw again: the
  // client stops, and what threw is reported without the URL's credentials.
  function listen(streamHref: string) {
    try {
      open(streamHref)
    } catch (error) {
      watchdog.stop()
      source?.close()
      report(
        new HeraldError(
          'CONNECTION_FAILED',
          `${shown}: could not open the connection: ${scrub(reasonOf(error))}; not retrying`,
          { cause: error },
        ),
      )
      context.ended()
    }
  }

  function open(streamHref: string) {
    const current = openEventSource({
      url: streamHref,
      lastEventId: context.lastEventId(),
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
        // Not decoded when nobody listens.
        if (!listeners.listening(name)) return
        let payload: unknown
        try {
          payload = decodePayload(events, name, data)
        } catch (error) {
          return report(error as HeraldError) // decodePayload throws only HeraldErrors
        }
        listeners.deliver(name, payload, id)
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
      if (!closed()) context.opened()
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
      context.ended()
    })
  }
  connect()

  return {
    switchTopics() {
      backoff.cancel()
      watchdog.touch()
      setState('connecting')
      if (!closed()) connect()
    },
    close() {
      watchdog.stop()
      source?.close()
    },
  }
}
