import {
  CONTROL_NAMES,
  type ContractFingerprint,
  type ControlName,
  type ControlPayloads,
  decodeControl,
  HeraldError,
} from '@herald/schema'
import type { Watchdog } from './watchdog.ts'

/** What the client's handling of Herald's control events acts on. */
export interface ControlContext {
  /** The stream URL, as messages show it. */
  readonly shown: string
  /** Reports an error to the client's `onError` hooks. */
  report(error: HeraldError): void
  /** The stream's position moved to `lastEventId`. */
  moved(lastEventId: string): void
  /** The connection's watchdog, fed the server's heartbeat and any sign of life. */
  readonly watchdog: Watchdog
  /** The server's hello named the topics the stream joined (`undefined`: none). */
  joined(topics: readonly string[] | undefined): void
  /** The server refused `topic`, which the client asked for: it is not asked for again. */
  refused(topic: string): void
  /** The server's hello carried its contract's fingerprint (`undefined`: none), to compare with the client's. */
  schema(fingerprint: ContractFingerprint | undefined): void
}

/** Listens with `on` for each control event, the way `EventTarget.addEventListener` does. */
export type ListenWith = (type: string, listener: (event: Event) => void) => void

type Handlers = {
  [TName in ControlName]: (payload: ControlPayloads[TName] | undefined, message: MessageEvent<string>) => void
}

/**
 * Listens for Herald's control events (`herald:hello`, `herald:ping`, `herald:gap`,
 * `herald:busy`, `herald:refused`), each decoded with the protocol's own `decodeControl`. One whose
 * data does not decode (a server that is not Herald's, or a hostile one) is read as carrying no
 * details: a `herald:hello` then announces no heartbeat and no topics, so nothing is watched; a
 * `herald:gap`, `herald:busy` or `herald:refused` is still reported, its name being what matters
 * (a gap then counts for the whole stream). It is never an error of its own:
 * the protocol's events are not the contract's, as a newer server's unknown `herald:` events are
 * not either.
 */
export function listenControl(on: ListenWith, context: ControlContext): void {
  const { shown, report, watchdog } = context
  // A control event is a sign of life, and moves the stream's position like any event.
  const seen = ({ lastEventId }: MessageEvent<string>) => {
    watchdog.touch()
    context.moved(lastEventId)
  }
  // A record over `ControlName`: a control event added to the protocol fails to compile here.
  const handlers: Handlers = {
    'herald:hello': (hello, message) => {
      seen(message)
      watchdog.watch(hello?.heartbeatMs ?? 0, hello?.retryMs)
      context.joined(hello?.topics)
      context.schema(hello?.schema)
    },
    'herald:ping': () => watchdog.touch(),
    'herald:gap': (gap, message) => {
      seen(message)
      const after = gap === undefined ? 'the id it resumed from' : JSON.stringify(gap.lastEventId.slice(0, 64))
      // With a topic, only that topic's events may be missing: the stream's others resume normally.
      const topic = gap?.topic
      const of = topic === undefined ? '' : ` of topic ${JSON.stringify(topic.slice(0, 128))}`
      report(
        new HeraldError(
          'HISTORY_GAP',
          `${shown}: the server no longer holds every event${of} after ${after}; some were missed, refetch ${topic === undefined ? 'your' : "that topic's"} state`,
          { topic },
        ),
      )
    },
    'herald:refused': (refusal, message) => {
      seen(message)
      const topic = refusal?.topic
      if (topic !== undefined) context.refused(topic)
      const which = topic === undefined ? 'a topic' : `topic ${JSON.stringify(topic.slice(0, 128))}`
      const why = refusal === undefined ? '' : ` (${refusal.reason})`
      report(
        new HeraldError('TOPIC_REFUSED', `${shown}: the server refused ${which}${why}; its other topics carry on`, {
          topic,
        }),
      )
    },
    'herald:busy': (busy, message) => {
      seen(message)
      const when = busy === undefined ? 'later' : `in ${busy.retryMs} ms`
      report(new HeraldError('OVER_CAPACITY', `${shown}: the server is at its connection limit; retrying ${when}`))
    },
  }
  for (const name of CONTROL_NAMES) {
    const handle = handlers[name] as (payload: unknown, message: MessageEvent<string>) => void
    on(name, (event) => {
      const message = event as MessageEvent<string>
      handle(decodeControl(name, message.data), message)
    })
  }
}
