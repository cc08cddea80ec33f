import { type AnyEvents, HeraldError } from '@herald/schema'
import { createClient } from './client.ts'
import { createLeaderWatch } from './leader-watch.ts'
import { createNoteSequence } from './note-sequence.ts'
import { createHolder } from './shared-holder.ts'
import { covers, oldestId } from './shared-ids.ts'
import { FROM_LEADER, type Note, ROLL_CALL_MS } from './shared-notes.ts'
import { createTabSide } from './shared-tab-source.ts'
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

  /** This tab lost notes and said so: it skips events until the holder resumes from its position. */
  let missed = false
  const sequence = createNoteSequence()
  /** The topics of every tab, this one included (kept by all, so any can take the lead). */
  const tabs = new Map<string, readonly string[]>()
  let leading = false
  let ended = false
  let rollCall: Map<string, string> | undefined
  let release = () => {}
  /** The number of this tab's current lock request; an older one settling is ignored. */
  let request = 0
  /** Aborts this tab's lock request while it waits (not a steal, which cannot be aborted). */
  let waiting: AbortController | undefined

  /** Sends a note to every other tab and to this one; holding the connection, numbers it. */
  const send = (note: Note): Note => {
    const sent = leading ? { ...note, ...sequence.stamp() } : note
    channel.postMessage(sent)
    receive(sent)
    return sent
  }
  /** Tells every tab this one's topics and position; `known`: it needs no hello. */
  const announce = (known?: true) =>
    send({ k: 'tab', tab, topics: side.asked, position: side.position, ...(known ? { known } : {}) })
  // This tab's view of the stream, and the EventSource its own client reads.
  // The tab asks for the lock once its own client has made its EventSource (its connection's code
  // has loaded): the tab holding the connection sees each event it relays, so its position is the
  // stream's, and a tab whose code never loads never holds the connection.
  let queued = false
  const side = createTabSide({
    withCredentials,
    position: lastEventId ?? '',
    announce: () => {
      announce()
      if (queued || ended) return
      queued = true
      queue(false)
    },
  })

  // The holder's beacon, and the others' steal of the lock when it has been silent too long. A
  // holder silent that long may have been replaced: it steps down before relaying anything more (it
  // learns of a steal only when its own tasks run, in no set order). A tab that was frozen, holding
  // the connection or not, missed what was sent meanwhile: the next numbered note shows it (below).
  const watch = createLeaderWatch({
    timeoutMs: leaderTimeoutMs,
    leading: () => leading && !ended,
    beacon: () => send({ k: 'alive', topics: holder.topics }),
    steal: () => {
      if (!ended) queue(true)
    },
    stall: stepDown,
  })
  // The connection, while this tab holds it.
  const holder = createHolder({
    events,
    url,
    client: { withCredentials, headers, fetch, ticket },
    send,
    active: () => leading && !ended,
    wanted: () => new Set([...tabs.values()].flat()),
    position: () => side.position,
    watch,
  })

  function receive(note: Note) {
    if ('to' in note && note.to !== undefined && note.to !== tab) return
    switch (note.k) {
      case 'event':
        if (!missed) side.arrived(note)
        return
      case 'open':
        // A welcome (addressed to this tab) that comes when it is open already is a repeat.
        if (note.to !== undefined && side.open) return
        return side.opened()
      case 'error':
        return side.failed(note)
      case 'roll':
        return void announce()
      case 'tab':
        tabs.set(note.tab, note.topics)
        rollCall?.set(note.tab, note.position)
        if (leading) holder.lead(note.known ? undefined : note.tab)
        return
      case 'bye':
        // Lost (the holder was paused), it leaves the stream asking for topics no tab reads: harmless.
        tabs.delete(note.tab)
        if (leading) holder.lead()
        return
      case 'alive': {
        if (leading) return
        // Still waiting: its `behind` may have been lost (the holder paused too); asking again is free.
        if (missed) fellBehind()
        // The holder's stream lacks a topic of this tab: its `tab` note was lost (the holder paused).
        // Or it is still waiting for its welcome: its first `tab` note was lost. (Without a
        // stream, during a takeover, the holder sends no topics and nobody checks.)
        const { topics } = note
        if (topics !== undefined && (!side.open || side.asked.some((topic) => !topics.includes(topic)))) {
          announce(side.open || undefined)
        }
        return
      }
      case 'behind':
        if (!leading || ended) return
        // During a takeover the roll call takes it: the stream will start there or before.
        if (rollCall !== undefined) return void rollCall.set(note.tab, note.position)
        return holder.behind(note.tab, note.position, note.heard)
      case 'resume':
        if (!missed) return
        // Events follow `from` now; past this tab's position (a takeover that missed it), it asks again.
        if (note.to !== undefined || covers(note.from, side.position)) missed = false
        else fellBehind()
        return
    }
  }

  // This tab lost notes: it tells the holder where it stands, and skips every event until the
  // holder's stream restarts from there (the events it skips are replayed, in order).
  function fellBehind() {
    missed = true
    send({ k: 'behind', tab, position: side.position, heard: sequence.heard })
  }

  // Holds the lock while this tab leads: asks every tab where it stands, resumes from the oldest.
  async function takeOver(mine: number): Promise<void> {
    if (ended || mine !== request) return
    leading = true
    sequence.lead()
    watch.beat()
    rollCall = new Map()
    send({ k: 'roll' })
    await new Promise((resolve) => setTimeout(resolve, ROLL_CALL_MS))
    if (ended || !leading || mine !== request || rollCall === undefined) return
    const start = oldestId(rollCall.values())
    rollCall = undefined
    holder.connect(start)
    await new Promise<void>((resolve) => {
      release = resolve
    })
  }

  const client = createClient(events, url, {
    ...clientOptions,
    ticket: undefined,
    headers: undefined,
    fetch: undefined,
    EventSource: side.Source,
  } as ClientOptions<TEvents>)

  /** Stops leading: closes the connection and lets the lock go (if it was not stolen already). */
  function stepDown() {
    if (!leading) return
    leading = false
    rollCall = undefined
    watch.heard()
    // Its planned catch-ups go too: the next takeover's roll call asks every tab where it stands anyway.
    holder.stop()
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
