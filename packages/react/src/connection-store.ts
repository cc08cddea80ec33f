import type { HeraldClient } from '@herald/client'
import type { AnyEvents, HeraldError } from '@herald/schema'
import type { ConnectionSnapshot } from './types.ts'

/** The connection state of one client, shared by every component that reads it. */
export interface ConnectionStore {
  /** Watches the client: the first watcher adds its hooks and listeners, the last removes them. */
  subscribe(notify: () => void): () => void
  /** The current snapshot: the same object as long as nothing in it changed. */
  readonly get: () => ConnectionSnapshot
}

/** What the server renders, and what is shown before there is a client. */
export const SERVER_SNAPSHOT: ConnectionSnapshot = Object.freeze({
  state: 'connecting',
  lastEventId: '',
  error: undefined,
})

const stores = new WeakMap<object, ConnectionStore>()

/** The connection store of `client`, created on first use. */
export function connectionStore<TEvents extends AnyEvents>(client: HeraldClient<TEvents>): ConnectionStore {
  let store = stores.get(client)
  if (store === undefined) {
    store = createConnectionStore(client)
    stores.set(client, store)
  }
  return store
}

function createConnectionStore<TEvents extends AnyEvents>(client: HeraldClient<TEvents>): ConnectionStore {
  const watchers = new Set<{ notify: () => void }>()
  let error: HeraldError | undefined
  let snapshot: ConnectionSnapshot = SERVER_SNAPSHOT
  let stop: (() => void) | undefined
  const notify = () => {
    for (const watcher of [...watchers]) watcher.notify()
  }
  const start = () => {
    // The client has no hook for "an event arrived", so the store listens to every event of the
    // contract to see `lastEventId` move: one listener per name, however many components watch.
    const stops = client.events.names.map((name) => client.on(name, notify))
    stops.push(client.onState(notify))
    stops.push(
      client.onError((reported) => {
        error = reported
        notify()
      }),
    )
    return () => {
      for (const off of stops) off()
    }
  }
  return {
    subscribe(callback) {
      const watcher = { notify: callback }
      watchers.add(watcher)
      if (watchers.size === 1) stop = start()
      return () => {
        if (!watchers.delete(watcher) || watchers.size > 0) return
        stop?.()
        stop = undefined
      }
    },
    // Read from the client itself, so a render never sees a state older than the client's, and
    // a new object only when a field changed (useSyncExternalStore compares with Object.is).
    get() {
      const { state, lastEventId } = client
      if (snapshot.state !== state || snapshot.lastEventId !== lastEventId || snapshot.error !== error) {
        snapshot = Object.freeze({ state, lastEventId, error })
      }
      return snapshot
    },
  }
}
