import type { ConnectionState, HeraldClient } from '@herald/client'
import type { AnyEvents, HeraldError } from '@herald/schema'

/**
 * A client, or none yet: `null` or `undefined` during server rendering and until the app has
 * created one. The hooks then do nothing and return what a server render returns.
 */
export type MaybeClient<TEvents extends AnyEvents> = HeraldClient<TEvents> | null | undefined

/** What `useConnectionState` returns: a new object only when one of its fields changed. */
export interface ConnectionSnapshot {
  /** The client's `state`; `'connecting'` on the server and before there is a client. */
  readonly state: ConnectionState
  /** The id of the last event received; `''` before the first. */
  readonly lastEventId: string
  /** The last `HeraldError` the client reported while a component watched it; not cleared on reopen. */
  readonly error: HeraldError | undefined
}
