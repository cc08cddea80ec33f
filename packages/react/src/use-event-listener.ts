import type { EventMeta, Listener } from '@herald/client'
import type { AnyEvents, EventName, Payload } from '@herald/schema'
import { useEffect, useLayoutEffect, useRef } from 'react'
import type { MaybeClient } from './types.ts'

// A layout effect updates the ref before any effect of the same commit, hence before an event
// can reach the listener; on the server (where React 18 warns about layout effects) neither runs.
const useBeforeEffects = typeof document === 'undefined' ? useEffect : useLayoutEffect

/**
 * Calls `listener` with each `name` event while the component is mounted: always the `listener`
 * of the latest render, without removing and adding a client listener on every render (only when
 * `client` or `name` change). Does nothing on the server and without a client.
 */
export function useEventListener<TEvents extends AnyEvents, TName extends EventName<TEvents>>(
  client: MaybeClient<TEvents>,
  name: TName,
  listener: Listener<TEvents, TName>,
): void {
  const latest = useRef(listener)
  useBeforeEffects(() => {
    latest.current = listener
  })
  useEffect(() => {
    if (client == null) return undefined
    return client.on(name, (payload: Payload<TEvents, TName>, meta: EventMeta<TName>) => latest.current(payload, meta))
  }, [client, name])
}
