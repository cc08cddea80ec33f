import type { AnyEvents, EventName, Payload } from '@herald/schema'
import { useSyncExternalStore } from 'react'
import { eventStore } from './event-store.ts'
import type { MaybeClient } from './types.ts'

const nothing = () => undefined
const noop = () => {}
const ignore = () => noop

/**
 * The latest `name` event's payload, typed and validated as the client delivers it; `undefined`
 * before the first event arrives while a component watches it, on the server and without a
 * client. Components reading the same event of one client share one listener and one value.
 */
export function useEvent<TEvents extends AnyEvents, TName extends EventName<TEvents>>(
  client: MaybeClient<TEvents>,
  name: TName,
): Payload<TEvents, TName> | undefined {
  // The store, and so its `subscribe` and `get`, is the same object on every render.
  const store = client == null ? undefined : eventStore(client, name)
  // The server snapshot is `undefined`: the server never touches the client, and hydration
  // renders what the server did before the first event shows.
  return useSyncExternalStore(store?.subscribe ?? ignore, store?.get ?? nothing, nothing)
}
