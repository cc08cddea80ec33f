import type { HeraldClient } from '@herald/client'
import type { AnyEvents, EventName, Payload } from '@herald/schema'

/** The latest payload of one event of one client, shared by every component that reads it. */
export interface EventStore<TPayload> {
  /** Watches the event: the first watcher adds one listener to the client, the last removes it. */
  subscribe(notify: () => void): () => void
  /** The latest payload received while watched; `undefined` before the first. */
  readonly get: () => TPayload | undefined
}

// One store per client and event name, so every component reading `age` renders the same value
// (what useSyncExternalStore is for) and the client holds one listener, however many read it.
// Weak: a store goes with its client.
const stores = new WeakMap<object, Map<string, EventStore<unknown>>>()

/** The store of `name` events of `client`, created on first use. */
export function eventStore<TEvents extends AnyEvents, TName extends EventName<TEvents>>(
  client: HeraldClient<TEvents>,
  name: TName,
): EventStore<Payload<TEvents, TName>> {
  let byName = stores.get(client)
  if (byName === undefined) {
    byName = new Map()
    stores.set(client, byName)
  }
  let store = byName.get(name)
  if (store === undefined) {
    store = createEventStore<Payload<TEvents, TName>>((listener) => client.on(name, listener))
    byName.set(name, store)
  }
  return store as EventStore<Payload<TEvents, TName>>
}

function createEventStore<TPayload>(listen: (listener: (payload: TPayload) => void) => () => void) {
  const watchers = new Set<{ notify: () => void }>()
  let latest: TPayload | undefined
  let stop: (() => void) | undefined
  const receive = (payload: TPayload) => {
    latest = payload
    for (const watcher of [...watchers]) watcher.notify()
  }
  const store: EventStore<TPayload> = {
    subscribe(notify) {
      // An object per call, so the same callback subscribed twice is counted twice.
      const watcher = { notify }
      watchers.add(watcher)
      if (watchers.size === 1) stop = listen(receive)
      return () => {
        if (!watchers.delete(watcher) || watchers.size > 0) return
        stop?.()
        stop = undefined
      }
    },
    get: () => latest,
  }
  return store
}
