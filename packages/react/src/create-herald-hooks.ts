import type { HeraldClient, Listener } from '@herald/client'
import { type AnyEvents, type EventName, HeraldError, type Payload, type Topic } from '@herald/schema'
import { type Context, createContext, createElement, type ReactElement, type ReactNode, useContext } from 'react'
import type { ConnectionSnapshot, MaybeClient } from './types.ts'
import { useConnectionState } from './use-connection-state.ts'
import { useEvent } from './use-event.ts'
import { useEventListener } from './use-event-listener.ts'
import { useTopic } from './use-topic.ts'

/** The props of a `HeraldProvider`. */
export interface HeraldProviderProps<TEvents extends AnyEvents> {
  /** The client the hooks below use; `null` on the server and until the app creates it. */
  readonly client: MaybeClient<TEvents>
  readonly children?: ReactNode
}

/** The hooks of one contract, reading their client from the nearest `HeraldProvider`. */
export interface HeraldHooks<TEvents extends AnyEvents> {
  /** Gives `client` to the hooks of its subtree. It neither opens nor closes the client. */
  HeraldProvider(props: HeraldProviderProps<TEvents>): ReactElement
  /** The provider's client, or `null` when it has none (yet); throws `INVALID_OPTIONS` outside any provider. */
  useHeraldClient(): HeraldClient<TEvents> | null
  /** `useEvent(client, name)` with the provider's client. */
  useEvent<TName extends EventName<TEvents>>(name: TName): Payload<TEvents, TName> | undefined
  /** `useEventListener(client, name, listener)` with the provider's client. */
  useEventListener<TName extends EventName<TEvents>>(name: TName, listener: Listener<TEvents, TName>): void
  /** `useConnectionState(client)` with the provider's client. */
  useConnectionState(): ConnectionSnapshot
  /** `useTopic(client, topic)` with the provider's client. */
  useTopic(topic: Topic<TEvents> | null | undefined): void
}

/** The client of the nearest provider of `context`; throws `INVALID_OPTIONS` outside any. */
function useClientOf<TEvents extends AnyEvents>(context: Context<MaybeClient<TEvents>>): HeraldClient<TEvents> | null {
  const client = useContext(context)
  if (client === undefined) {
    throw new HeraldError('INVALID_OPTIONS', 'a Herald hook was used outside its HeraldProvider')
  }
  return client
}

/**
 * Binds a provider and hooks to one contract, so components use the client without threading it
 * through props and every name, payload and topic stays typed by `events`: a React context cannot
 * carry a type parameter, so a shared `HeraldProvider` would lose it. Call it once, in a module
 * beside the contract, and export what it returns. The provider throws `INVALID_OPTIONS` for a
 * client made from another contract.
 */
export function createHeraldHooks<TEvents extends AnyEvents>(events: TEvents): HeraldHooks<TEvents> {
  // `undefined` (the default) means no provider; `null` a provider without a client yet.
  const Context = createContext<MaybeClient<TEvents>>(undefined)
  Context.displayName = 'HeraldClient'

  return {
    HeraldProvider({ client, children }) {
      if (client != null && client.events !== events) {
        throw new HeraldError('INVALID_OPTIONS', 'HeraldProvider: the client was made from another contract')
      }
      return createElement(Context.Provider, { value: client ?? null }, children)
    },
    // Hooks made once per contract (at module level, where the factory is called), so each keeps
    // one identity for the life of the app.
    useHeraldClient: () => useClientOf(Context),
    useEvent: (name) => useEvent(useClientOf(Context), name),
    useEventListener: (name, listener) => useEventListener(useClientOf(Context), name, listener),
    useConnectionState: () => useConnectionState(useClientOf(Context)),
    useTopic: (topic) => useTopic(useClientOf(Context), topic),
  }
}
