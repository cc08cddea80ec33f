import { type AnyEvents, decodePayload, HeraldError } from '@herald/schema'
import { createHooks, type Hooks } from './hooks.ts'
import type { EventMeta } from './types.ts'

/** A listener as the registry holds it, whatever its event. */
export type AnyListener = (payload: unknown, meta: EventMeta) => void

/** A client's listeners, by event name, and the delivery of payloads to them. */
export interface EventListeners {
  /** Adds `listener` for `name` (for one call when `once`); returns the function that removes it. Throws `UNKNOWN_EVENT` for a name outside the contract. */
  add(name: string, listener: AnyListener, once?: boolean): () => void
  /** Removes a listener; nothing happens when it is not there. */
  remove(name: string, listener: AnyListener): void
  /** Throws `UNKNOWN_EVENT` unless `name` is in the contract. */
  check(name: string): void
  /**
   * Decodes `data` with the schema of `name` and calls its listeners; a payload that fails is
   * reported (`DECODE_FAILED`) instead, and a listener that throws too (`LISTENER_FAILED`). Does
   * not decode when nobody listens.
   */
  deliver(name: string, data: string, lastEventId: string): void
}

/** What a registry needs besides the contract. */
export interface EventListenersOptions {
  /** Reports an error to the client's `onError` hooks. */
  report(error: HeraldError): void
  /** The error for a listener of `event` (a hook when undefined) that threw `error`. */
  failed(event: string | undefined): (error: unknown) => void
}

/** Creates the listener registry of a client of `events`. */
export function createEventListeners(events: AnyEvents, options: EventListenersOptions): EventListeners {
  const listeners = new Map<string, Hooks<[unknown, EventMeta]>>()

  const listenersOf = (name: string) => {
    let hooks = listeners.get(name)
    if (hooks === undefined) {
      if (!events.specs.has(name)) {
        throw new HeraldError('UNKNOWN_EVENT', `event '${name}': not in the event map`, { event: name })
      }
      hooks = createHooks()
      listeners.set(name, hooks)
    }
    return hooks
  }

  return {
    add: (name, listener, once) => listenersOf(name).add(listener, once),
    remove(name, listener) {
      listeners.get(name)?.remove(listener)
    },
    check(name) {
      listenersOf(name)
    },
    deliver(name, data, lastEventId) {
      const hooks = listeners.get(name)
      if (hooks === undefined || hooks.size === 0) return
      let payload: unknown
      try {
        payload = decodePayload(events, name, data)
      } catch (error) {
        options.report(error as HeraldError) // decodePayload throws only HeraldErrors
        return
      }
      hooks.call(options.failed(name), payload, { name, lastEventId })
    },
  }
}
