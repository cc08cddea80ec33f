import { type AnyEvents, decodeControl, encodeControl, HeraldError } from '@herald/schema'
import { createClient } from './client.ts'
import { type EventSourceLike, HeraldEventSource } from './event-source.ts'
import { createLeaderWatch } from './leader-watch.ts'
import { createNoteSequence, type NoteStamp } from './note-sequence.ts'
import { compareIds, isAfter, oldestId } from './shared-ids.ts'
import type { ClientOptions, HeraldClient } from './types.ts'

/**
 * Options of `createSharedClient`: those of `createClient` but `EventSource` (the tab holding the
 * connection always uses `HeraldEventSource`, the only one that sees each event's topics) and
 * `selfCheck`, plus the name tabs share their stream under.
 */
export interface SharedClientOptions<TEvents extends AnyEvents = AnyEvents>
  extends Omit<ClientOptions<TEvents>, 'EventSource' | 'selfCheck'> {
  /**
   * The name of the Web Lock and the `BroadcastChannel` tabs share their stream under: clients
   * of one origin with the same name share one connection. @default `herald:` and the stream URL
   */
  name?: string | undefined
  /**
   * How long the other tabs wait without a word from the tab holding the connection (no event, no
   * beacon; it sends one every third of this) before one of them steals the lock and takes over: the
   * holder is frozen or stuck. A holder silent that long steps down when it wakes. `0` never steals.
   * @default 5000
   */
  leaderTimeoutMs?: number | undefined
}

/** A client whose tabs share one stream; in each tab it behaves as `createClient`'s does. */
export interface SharedHeraldClient<TEvents extends AnyEvents> extends HeraldClient<TEvents> {
  /** Whether this tab holds the shared connection now. */
  readonly leader: boolean
}

/**
 * What tabs tell each other over the `BroadcastChannel`; `to` addresses one tab only. Every note of
 * the tab holding the connection carries its leadership and number (`lead`, `n`).
 */
type Note = (
  | {
      k: 'event'
      type: string
      data: string
      id: string
      topics: readonly string[]
      /** On a hello: the topics the server joined by itself, which every tab receives. */
      own?: readonly string[]
      /** On a gap: it carries its own id, where the stream joined the live events. */
      joined?: true
      to?: string
    }
  | { k: 'open'; to?: string }
  | { k: 'error'; closed: boolean; message?: string | undefined; status?: number | undefined }
  | { k: 'roll' }
  | { k: 'tab'; tab: string; topics: readonly string[]; position: string }
  | { k: 'bye'; tab: string }
  | { k: 'alive' }
  /**
   * From a tab that lost notes (it was frozen): where it stands, so the holder replays what it
   * missed, and the last note it heard (a resume sent since is on its way).
   */
  | { k: 'behind'; tab: string; position: string; heard?: NoteStamp | undefined }
  /**
   * From the holder: the events it relays next follow `from` (its stream restarts there); to one
   * tab, the answer to its `behind` when there is nothing to replay.
   */
  | { k: 'resume'; from: string; to?: string }
) & { lead?: string; n?: number }

/** The notes only the tab holding the connection sends: signs that it is alive. */
const FROM_LEADER: ReadonlySet<Note['k']> = new Set(['event', 'open', 'error', 'roll', 'alive', 'resume'])

/** How long a tab that takes the connection over waits for the others to say where they are. */
const ROLL_CALL_MS = 100
const CONNECTING = 0
const OPEN = 1
const CLOSED = 2

/** Whether a stream restarting at `from` replays all a tab at `position` lacks (or can do no better). */
const covers = (from: string, position: string) =>
  position === '' || (from !== '' && (compareIds(from, position) ?? 0) <= 0)

/**
 * Like `createClient`, but the tabs of one origin share one stream: one tab holds the connection
 * (a Web Lock), the others receive its events over a `BroadcastChannel`. The connection asks for
 * the union of the tabs' topics; each tab receives the broadcasts and its own topics' events,
 * decoded and validated by its own contract, with its own listeners, hooks and state. When the
 * tab holding it closes (or is silent for `leaderTimeoutMs`: frozen, it keeps the lock, which
 * another steals), another takes it over and resumes from the oldest position of all tabs;
 * each tab drops what it had already, so none loses or repeats an event. A tab that lost notes
 * of the holder (it was frozen; the holder numbers them) tells it where it stands, and the stream
 * resumes from there (once for several tabs), each tab again dropping what it had. The ticket function of
 * the tab holding the connection is the one called. Throws `INVALID_OPTIONS` where there is no
 * Web Locks or `BroadcastChannel` (a server render).
 */
export function createSharedClient<TEvents extends AnyEvents>(
  events: TEvents,
  url: string | URL,
  options: NoInfer<SharedClientOptions<TEvents>> = {},
): SharedHeraldClient<TEvents> {
  const found = (globalThis as { navigator?: { locks?: LockManager } }).navigator?.locks
  if (found === undefined || typeof BroadcastChannel !== 'function') {
    throw new HeraldError('INVALID_OPTIONS', 'createSharedClient() needs Web Locks and BroadcastChannel (a browser)')
  }
  const locks = found
  const { name, leaderTimeoutMs = 5000, ...clientOptions } = options
  if (!Number.isFinite(leaderTimeoutMs) || leaderTimeoutMs < 0) {
    throw new HeraldError('INVALID_OPTIONS', 'leaderTimeoutMs must be a finite number of milliseconds, 0 or more')
  }
  const { withCredentials, headers, fetch, ticket, lastEventId } = clientOptions
  const key = name ?? `herald:${String(url)}`
  // Names this tab's client in the notes; unique enough among one origin's tabs.
  const tab = `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`
  const channel = new BroadcastChannel(key)

  // This tab's side: where it stands in the stream, and the EventSource its own client reads.
  let position = lastEventId ?? ''
  /** This tab lost notes and said so: it skips events until the holder resumes from its position. */
  let missed = false
  const sequence = createNoteSequence()
  let view: TabSource | undefined
  /** The topics of every tab, this one included (kept by all, so any can take the lead). */
  const tabs = new Map<string, readonly string[]>()

  // The leader's side.
  let leading = false
  let ended = false
  let connection: HeraldClient<TEvents> | undefined
  let asked = new Set<string>()
  let live = false
  let hello: Extract<Note, { k: 'event' }> | undefined
  let rollCall: Map<string, string> | undefined
  let release = () => {}
  /** The number of this tab's current lock request; an older one settling is ignored. */
  let request = 0
  /** Aborts this tab's lock request while it waits (not a steal, which cannot be aborted). */
  let waiting: AbortController | undefined
  /** The positions of woken tabs behind this one (leading), caught up together by one reconnection. */
  let lagging: string[] = []
  let catchUp: ReturnType<typeof setTimeout> | undefined
  /** The last resume this tab (leading) sent to all: where its stream restarted, and the note's stamp. */
  let resumed: (NoteStamp & { from: string }) | undefined

  /** Sends a note to every other tab and to this one; holding the connection, numbers it. */
  const send = (note: Note): Note => {
    const sent = leading ? { ...note, ...sequence.stamp() } : note
    channel.postMessage(sent)
    receive(sent)
    return sent
  }
  const announce = () => send({ k: 'tab', tab, topics: view?.asked ?? [], position })
  const union = () => new Set([...tabs.values()].flat())

  /** The EventSource of this tab's own client: fed by the leader's notes, never a connection. */
  class TabSource extends EventTarget implements EventSourceLike {
    readyState: 0 | 1 | 2 = CONNECTING
    readonly withCredentials = withCredentials ?? false
    readonly url: string
    /** The topics this tab asks for, read from the URL its client built. */
    readonly asked: readonly string[]
    /** The topics whose events this tab receives, from the last hello (until then, the previous view's). */
    filter: ReadonlySet<string>
    constructor(href: string) {
      super()
      this.url = href
      this.asked = new URL(href, globalThis.location?.href).searchParams.getAll('topic')
      this.filter = new Set([...(view?.filter ?? [])].filter((topic) => this.asked.includes(topic)))
      view = this
      announce()
    }
    close() {
      this.readyState = CLOSED
      if (view === this) view = undefined
    }
  }

  function receive(note: Note) {
    if ('to' in note && note.to !== undefined && note.to !== tab) return
    switch (note.k) {
      case 'event':
        return arrived(note)
      case 'open':
        if (view !== undefined && view.readyState !== CLOSED) {
          view.readyState = OPEN
          view.dispatchEvent(new Event('open'))
        }
        return
      case 'error': {
        if (view === undefined || view.readyState === CLOSED) return
        view.readyState = note.closed ? CLOSED : CONNECTING
        const fields = { message: { value: note.message }, status: { value: note.status } }
        view.dispatchEvent(Object.defineProperties(new Event('error'), fields))
        return
      }
      case 'roll':
        return send({ k: 'tab', tab, topics: view?.asked ?? [], position })
      case 'tab':
        tabs.set(note.tab, note.topics)
        rollCall?.set(note.tab, note.position)
        if (leading) lead(note.tab)
        return
      case 'bye':
        tabs.delete(note.tab)
        if (leading) lead()
        return
      case 'alive':
        // Still waiting: its `behind` may have been lost (the holder paused too); asking again is free.
        if (missed && !leading) fellBehind()
        return
      case 'behind':
        return behind(note)
      case 'resume':
        if (!missed) return
        // Events follow `from` now; past this tab's position (a takeover that missed it), it asks again.
        if (note.to !== undefined || covers(note.from, position)) missed = false
        else fellBehind()
        return
    }
  }

  // This tab lost notes: it tells the holder where it stands, and skips every event until the
  // holder's stream restarts from there (the events it skips are replayed, in order).
  function fellBehind() {
    missed = true
    send({ k: 'behind', tab, position, heard: sequence.heard })
  }

  // An event from the leader: moves this tab's position, and reaches its client when it is one
  // of its topics', or a broadcast, and new to it.
  function arrived(note: Extract<Note, { k: 'event' }>) {
    if (missed) return
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
      const result = super.dispatchEvent(event)
      if (!leading || ended || this !== tapped || !watch.mayRelay()) return result
      watch.beat()
      if (event instanceof MessageEvent) {
        const { type, data, lastEventId: id } = event as MessageEvent<string>
        const topics = (event as { topics?: readonly string[] }).topics ?? []
        const note: Note = { k: 'event', type, data, id, topics }
        if (type === 'herald:gap' && id !== this.#id) note.joined = true
        this.#id = id
        if (type === 'herald:hello') {
          const wanted = union()
          note.own = (decodeControl('herald:hello', data)?.topics ?? []).filter((topic) => !wanted.has(topic))
          hello = note
        }
        send(note)
      } else if (event.type === 'open') {
        live = true
        send({ k: 'open' })
      } else if (event.type === 'error') {
        live = false
        const { message, status } = event as Event & { message?: string; status?: number }
        send({ k: 'error', closed: this.readyState === CLOSED, message, status })
      }
      return result
    }
  }

  // Keeps the connection's topics the union of the tabs'; welcomes a tab that needs a hello.
  function lead(newcomer?: string) {
    if (connection === undefined || ended) return
    const wanted = union()
    let changed = false
    for (const topic of wanted) {
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
      if (wanted.has(topic)) continue
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
  }

  // Holds the lock while this tab leads: asks every tab where it stands, resumes from the oldest.
  async function takeOver(mine: number): Promise<void> {
    if (ended || mine !== request) return
    leading = true
    sequence.lead()
    resumed = undefined
    watch.beat()
    rollCall = new Map()
    send({ k: 'roll' })
    await new Promise((resolve) => setTimeout(resolve, ROLL_CALL_MS))
    if (ended || !leading || mine !== request || rollCall === undefined) return
    const start = oldestId(rollCall.values())
    rollCall = undefined
    connect(start)
    await new Promise<void>((resolve) => {
      release = resolve
    })
  }

  // Opens the leader's stream from `start` (empty: live only), asking for the union of the topics.
  function connect(start: string) {
    asked = union()
    // What this tab relays from now on follows `start`: the tabs waiting for a replay learn so.
    const { lead = '', n = 0 } = send({ k: 'resume', from: start })
    resumed = { lead, n, from: start }
    // The stream asks for `topic:` lines, naming the topics (of those it joined) each event was
    // sent to: what the leader routes by.
    const lined = new URL(String(url), (globalThis as { location?: { href: string } }).location?.href)
    lined.searchParams.set('topicLines', '1')
    connection = createClient(events, lined.href, {
      EventSource: Tap,
      withCredentials,
      headers,
      fetch,
      ticket,
      topics: [...asked] as never,
      lastEventId: start === '' ? undefined : start,
    } as ClientOptions<TEvents>)
  }

  // A tab lost notes (leading, this one answers): within the roll call's delay, so that tabs waking
  // together cost one reconnection, the stream resumes from the oldest of them. The events replayed
  // reach every tab, and each drops what it had, so only the woken ones receive them.
  function behind(note: Extract<Note, { k: 'behind' }>) {
    if (!leading || ended) return
    const { tab: from, position: at, heard } = note
    // During a takeover the roll call takes it: the stream will start there or before.
    if (rollCall !== undefined) return void rollCall.set(from, at)
    if (connection === undefined) return
    // It asks again, but a resume sent after the last note it heard starts early enough: on its way.
    const last = resumed
    if (last !== undefined && heard?.lead === last.lead && last.n >= heard.n && covers(last.from, at)) return
    if (catchUp === undefined && !((compareIds(at, position) ?? 0) < 0)) {
      // Not behind this tab: it lost no event (only notes), or none that can be placed.
      send({ k: 'resume', from: position, to: from })
      return
    }
    lagging.push(at)
    catchUp ??= setTimeout(() => {
      const start = oldestId(lagging)
      lagging = []
      catchUp = undefined
      if (!leading || ended || connection === undefined) return
      closeConnection()
      connect(start)
    }, ROLL_CALL_MS)
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

  const client = createClient(events, url, {
    ...clientOptions,
    ticket: undefined,
    headers: undefined,
    fetch: undefined,
    EventSource: TabSource,
  } as ClientOptions<TEvents>)

  /** Stops leading: closes the connection and lets the lock go (if it was not stolen already). */
  function stepDown() {
    if (!leading) return
    leading = false
    rollCall = undefined
    resumed = undefined
    // The next takeover's roll call asks every tab where it stands anyway.
    clearTimeout(catchUp)
    catchUp = undefined
    lagging = []
    watch.heard()
    closeConnection()
    release()
    release = () => {}
  }

  // Waits for the lock (or steals it); when this request ends (released, stolen), waits again.
  function queue(steal: boolean) {
    const mine = ++request
    waiting?.abort()
    waiting = steal ? undefined : new AbortController()
    const lockOptions: LockOptions = waiting === undefined ? { steal: true } : { signal: waiting.signal }
    locks
      .request(key, lockOptions, () => takeOver(mine))
      .catch(() => {})
      .then(() => {
        if (mine !== request) return
        stepDown()
        if (!ended) queue(false)
      })
  }

  // The holder sends a beacon; the others steal the lock when it has been silent too long. A holder
  // silent that long may have been replaced: it steps down before relaying anything more (it learns
  // of a steal only when its own tasks run, in no set order). A tab that was frozen, holding the
  // connection or not, missed what was sent meanwhile: the next numbered note shows it (see below).
  const watch = createLeaderWatch({
    timeoutMs: leaderTimeoutMs,
    leading: () => leading && !ended,
    beacon: () => send({ k: 'alive' }),
    steal: () => {
      if (!ended) queue(true)
    },
    stall: stepDown,
  })

  channel.onmessage = (message: MessageEvent<Note>) => {
    const note = message.data
    if (FROM_LEADER.has(note.k)) watch.heard()
    if (note.lead !== undefined && note.n !== undefined && !ended) {
      // Another holder speaks: this one may have been frozen and replaced (it then steps down).
      if (leading && note.lead !== sequence.mine) watch.mayRelay()
      const verdict = sequence.check({ lead: note.lead, n: note.n })
      if (verdict === 'seen') return
      // A number skipped: this tab lost notes (Chromium drops those a paused page would get).
      if (verdict === 'lost' && !leading) fellBehind()
    }
    receive(note)
  }
  queue(false)
  const leave = () => {
    if (ended) return
    ended = true
    watch.stop()
    waiting?.abort()
    stepDown()
    channel.postMessage({ k: 'bye', tab } satisfies Note)
    channel.close()
  }
  globalThis.addEventListener?.('pagehide', leave)
  client.onState((state) => {
    if (state === 'closed') leave()
  })
  const closeClient = client.close
  return Object.defineProperties(client, {
    leader: { get: () => leading, enumerable: true },
    close: {
      value: () => {
        leave()
        closeClient()
      },
    },
  }) as SharedHeraldClient<TEvents>
}
