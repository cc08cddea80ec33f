import type { AnyEvents } from '@herald/schema'
import { useSyncExternalStore } from 'react'
import { connectionStore, SERVER_SNAPSHOT } from './connection-store.ts'
import type { ConnectionSnapshot, MaybeClient } from './types.ts'

const serverSnapshot = () => SERVER_SNAPSHOT
const noop = () => {}
const ignore = () => noop

/**
 * The client's connection state (`connecting`, `open`, `reconnecting`, `closed`), its last event
 * id and the last error it reported, re-rendering when one changes. `{ state: 'connecting',
 * lastEventId: '', error: undefined }` on the server and without a client.
 */
export function useConnectionState<TEvents extends AnyEvents>(client: MaybeClient<TEvents>): ConnectionSnapshot {
  const store = client == null ? undefined : connectionStore(client)
  return useSyncExternalStore(store?.subscribe ?? ignore, store?.get ?? serverSnapshot, serverSnapshot)
}
