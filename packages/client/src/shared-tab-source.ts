// A tab's side of the shared client: the EventSource its own client reads, fed by the holder's
// notes and never a connection, and the routing of each event that arrives: whether it is new to
// this tab (its position), and whether it is one of this tab's topics (from the last hello), a
// broadcast, or a gap or refusal of its own.
import { decodeControl, encodeControl } from '@herald/schema'
import type { EventSourceLike } from './event-source.ts'
import { isAfter } from './shared-ids.ts'
import { CLOSED, CONNECTING, type EventNote, type Note, OPEN } from './shared-notes.ts'

/** Options of `createTabSide`. */
export interface TabSideOptions {
  /** The client's `withCredentials`, which the tab's EventSource reports. */
  withCredentials: boolean | undefined
  /** Where the tab stands at first: the client's `lastEventId`, or empty. */
  position: string
  /** A new EventSource was made (the client connects, or changed its topics): the tab tells the others. */
  announce(): void
}

/** One tab's view of the shared stream. */
export interface TabSide {
  /** The EventSource class the tab's own client is created with. */
  readonly Source: new (
    url: string,
  ) => EventSourceLike
  /** The id of the last event this tab saw (empty: none yet). */
  readonly position: string
  /** The topics this tab asks for (none before its client made an EventSource). */
  readonly asked: readonly string[]
  /** Whether the tab's EventSource is open. */
  readonly open: boolean
  /** An event from the holder: moves the position, and reaches the client when it is for this tab. */
  arrived(note: EventNote): void
  /** The holder's stream opened. */
  opened(): void
  /** The holder's stream failed (`closed`: for good). */
  failed(note: Extract<Note, { k: 'error' }>): void
}

/** Starts a tab's view; its client's EventSource is `Source`. */
export function createTabSide(options: TabSideOptions): TabSide {
  const { withCredentials = false, announce } = options
  let position = options.position
  let view: TabSource | undefined
  /** The tab's client's latest EventSource, closed or not (none before its first). */
  let last: TabSource | undefined

  /** The EventSource of this tab's own client: fed by the leader's notes, never a connection. */
  class TabSource extends EventTarget implements EventSourceLike {
    readyState: 0 | 1 | 2 = CONNECTING
    readonly withCredentials = withCredentials
    readonly url: string
    /** The topics this tab asks for, read from the URL its client built. */
    readonly asked: readonly string[]
    /** The topics whose events this tab receives, from the last hello (until then, the previous view's). */
    filter: ReadonlySet<string>
    constructor(href: string) {
      super()
      this.url = href
      this.asked = new URL(href, globalThis.location?.href).searchParams.getAll('topic')
      // The client closes its EventSource before it makes the next one: the topics kept come from that one.
      this.filter = new Set([...(last?.filter ?? [])].filter((topic) => this.asked.includes(topic)))
      view = this
      last = this
      announce()
    }
    close() {
      this.readyState = CLOSED
      if (view === this) view = undefined
    }
  }

  // An event from the leader: moves this tab's position, and reaches its client when it is one
  // of its topics', or a broadcast, and new to it.
  function arrived(note: EventNote) {
    // Before its client made its first EventSource (its connection's code is loading), the tab
    // neither receives an event nor moves past it: it joins from where it stands when its client
    // connects. Later, between two of its EventSources, it moves on: the holder's position is its tab's.
    if (last === undefined) return
    const { type, id, topics } = note
    const control = type.startsWith('herald:')
    const fresh = id === '' || isAfter(id, position)
    if (!fresh && !control) return
    if (fresh && id !== '') position = id
    const target = view
    if (target === undefined || target.readyState === CLOSED) return
    let data = note.data
    if (type === 'herald:hello') {
      const payload = decodeControl('herald:hello', data)
      const own = note.own ?? []
      const joined = (payload?.topics ?? []).filter((topic) => target.asked.includes(topic) || own.includes(topic))
      target.filter = new Set(joined)
      // The leader watches the connection; a tab watches nothing of its own.
      const { topics: _all, ...rest } = payload ?? { retryMs: 0, heartbeatMs: 0 }
      data = encodeControl('herald:hello', {
        ...rest,
        heartbeatMs: 0,
        ...(joined.length > 0 ? { topics: joined } : {}),
      })
    } else if (type === 'herald:refused') {
      const topic = decodeControl('herald:refused', data)?.topic
      if (topic === undefined || !target.asked.includes(topic)) return
    } else if (type === 'herald:gap') {
      const topic = decodeControl('herald:gap', data)?.topic
      if (topic !== undefined && !target.filter.has(topic) && !target.asked.includes(topic)) return
      // A tab already where the stream joined the live events missed nothing: the gap was another
      // tab's (one woken from a freeze, far behind). Without an id of its own, it may be anyone's.
      if (topic === undefined && note.joined === true && !fresh) return
    } else if (!control && topics.length > 0 && !topics.some((topic) => target.filter.has(topic))) return
    target.dispatchEvent(new MessageEvent(type, { data, lastEventId: position }))
  }

  return {
    Source: TabSource,
    get position() {
      return position
    },
    get asked() {
      return view?.asked ?? []
    },
    get open() {
      return view?.readyState === OPEN
    },
    arrived,
    opened() {
      if (view !== undefined && view.readyState !== CLOSED) {
        view.readyState = OPEN
        view.dispatchEvent(new Event('open'))
      }
    },
    failed(note) {
      if (view === undefined || view.readyState === CLOSED) return
      view.readyState = note.closed ? CLOSED : CONNECTING
      const fields = { message: { value: note.message }, status: { value: note.status } }
      view.dispatchEvent(Object.defineProperties(new Event('error'), fields))
    },
  }
}
