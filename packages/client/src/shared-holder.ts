// The side of the shared client held by the tab holding the connection: its stream (Herald's
// EventSource, tapped so that every message it dispatches goes to every tab), kept asking for the
// union of the tabs' topics, and restarted from a woken tab's position when one lost notes.
import { type AnyEvents, decodeControl } from '@herald/schema'
import { createClient } from './client.ts'
import { HeraldEventSource } from './event-source.ts'
import type { LeaderWatch } from './leader-watch.ts'
import type { NoteStamp } from './note-sequence.ts'
import { compareIds, covers, oldestId } from './shared-ids.ts'
import { CLOSED, type EventNote, type Note, ROLL_CALL_MS } from './shared-notes.ts'
import type { ClientOptions, HeraldClient } from './types.ts'

/** Options of `createHolder`. */
export interface HolderOptions<TEvents extends AnyEvents> {
  events: TEvents
  url: string | URL
  /** The options of the holder's own client: those of the tab. */
  client: Pick<ClientOptions<TEvents>, 'withCredentials' | 'headers' | 'fetch' | 'ticket'>
  /** Sends a note to every tab, this one included, and returns it stamped. */
  send(note: Note): Note
  /** Whether this tab holds the connection (and is not closed). */
  active(): boolean
  /** The union of the tabs' topics. */
  wanted(): Set<string>
  /** Where this tab stands in the stream. */
  position(): string
  watch: Pick<LeaderWatch, 'beat' | 'mayRelay'>
}

/** The connection of the tab holding it. */
export interface Holder {
  /** The topics its stream asks for; `undefined` while it has no stream. */
  readonly topics: readonly string[] | undefined
  /** Opens the stream from `start` (empty: live only), asking for the union of the topics. */
  connect(start: string): void
  /** Keeps the stream's topics the union of the tabs'; welcomes `newcomer`, which needs a hello. */
  lead(newcomer?: string): void
  /** A tab lost notes: the stream restarts from where it stands, unless it lost no event. */
  behind(tab: string, at: string, heard: NoteStamp | undefined): void
  /** Closes the stream and forgets the catch-ups it planned. */
  stop(): void
}

/** Starts the holder's side, with no stream yet. */
export function createHolder<TEvents extends AnyEvents>(options: HolderOptions<TEvents>): Holder {
  const { events, url, send, active, wanted, position, watch } = options
  let connection: HeraldClient<TEvents> | undefined
  let asked = new Set<string>()
  let live = false
  let hello: EventNote | undefined
  /** The positions of woken tabs behind this one, caught up together by one reconnection. */
  let lagging: string[] = []
  let catchUp: ReturnType<typeof setTimeout> | undefined
  /** The last resume this tab sent to all: where its stream restarted, and the note's stamp. */
  let resumed: (NoteStamp & { from: string }) | undefined

  // The leader's own connection: Herald's EventSource, each message it dispatches sent to every tab.
  let tapped: Tap | undefined
  class Tap extends HeraldEventSource {
    /** The id of the last message (at first, the one the stream resumes from); the same id again is none. */
    #id: string
    constructor(...args: ConstructorParameters<typeof HeraldEventSource>) {
      super(...args)
      this.#id = args[1]?.lastEventId ?? ''
      tapped = this
    }
    override dispatchEvent(event: Event): boolean {
      // Whether the stream ended for good, as the EventSource says before its listeners run: with
      // a ticket (or topics changed since), the holder's client closes it on any error to
      // reconnect with a URL of its own, which is no end for the tabs.
      const ended = this.readyState === CLOSED
      const result = super.dispatchEvent(event)
      if (!active() || this !== tapped || !watch.mayRelay()) return result
      watch.beat()
      if (event instanceof MessageEvent) {
        const { type, data, lastEventId: id } = event as MessageEvent<string>
        const topics = (event as { topics?: readonly string[] }).topics ?? []
        const note: EventNote = { k: 'event', type, data, id, topics }
        if (type === 'herald:gap' && id !== this.#id) note.joined = true
        this.#id = id
        if (type === 'herald:hello') {
          const all = wanted()
          note.own = (decodeControl('herald:hello', data)?.topics ?? []).filter((topic) => !all.has(topic))
          hello = note
        }
        send(note)
      } else if (event.type === 'open') {
        live = true
        send({ k: 'open' })
      } else if (event.type === 'error') {
        live = false
        const { message, status } = event as Event & { message?: string; status?: number }
        send({ k: 'error', closed: ended, message, status })
      }
      return result
    }
  }

  function connect(start: string) {
    asked = wanted()
    // What this tab relays from now on follows `start`: the tabs waiting for a replay learn so.
    const { lead = '', n = 0 } = send({ k: 'resume', from: start })
    resumed = { lead, n, from: start }
    // The stream asks for `topic:` lines, naming the topics (of those it joined) each event was
    // sent to: what the leader routes by.
    const lined = new URL(String(url), (globalThis as { location?: { href: string } }).location?.href)
    lined.searchParams.set('topicLines', '1')
    connection = createClient(events, lined.href, {
      ...options.client,
      EventSource: Tap,
      topics: [...asked] as never,
      lastEventId: start === '' ? undefined : start,
    } as ClientOptions<TEvents>)
  }

  /** Closes the leader's stream; its last events (an error as it closes) reach no tab. */
  function closeConnection() {
    live = false
    hello = undefined
    tapped = undefined
    const closing = connection
    connection = undefined
    closing?.close()
  }

  return {
    get topics() {
      return connection === undefined ? undefined : [...asked]
    },
    connect,
    lead(newcomer) {
      if (connection === undefined || !active()) return
      const all = wanted()
      let changed = false
      for (const topic of all) {
        if (asked.has(topic)) continue
        asked.add(topic)
        changed = true
        try {
          connection.subscribe(topic as never)
        } catch {
          // A topic of another tab's contract this one does not declare: that tab gets nothing of it.
        }
      }
      for (const topic of asked) {
        if (all.has(topic)) continue
        asked.delete(topic)
        changed = true
        connection.unsubscribe(topic as never)
      }
      // A new stream will open with a hello for every tab; otherwise the newcomer gets the current one.
      if (!changed && newcomer !== undefined && live && hello !== undefined) {
        send({ k: 'open', to: newcomer })
        // Without an id: the newcomer keeps its position, so a takeover later resumes from it.
        send({ ...hello, id: '', to: newcomer })
      }
    },
    // Within the roll call's delay, so that tabs waking together cost one reconnection, the stream
    // resumes from the oldest of them. The events replayed reach every tab, and each drops what it
    // had, so only the woken ones receive them.
    behind(tab, at, heard) {
      if (connection === undefined) return
      // It asks again, but a resume sent after the last note it heard starts early enough: on its way.
      const last = resumed
      if (last !== undefined && heard?.lead === last.lead && last.n >= heard.n && covers(last.from, at)) return
      if (catchUp === undefined && !((compareIds(at, position()) ?? 0) < 0)) {
        // Not behind this tab: it lost no event (only notes), or none that can be placed.
        send({ k: 'resume', from: position(), to: tab })
        return
      }
      lagging.push(at)
      catchUp ??= setTimeout(() => {
        const start = oldestId(lagging)
        lagging = []
        catchUp = undefined
        if (!active() || connection === undefined) return
        closeConnection()
        connect(start)
      }, ROLL_CALL_MS)
    },
    stop() {
      resumed = undefined
      clearTimeout(catchUp)
      catchUp = undefined
      lagging = []
      closeConnection()
    },
  }
}
