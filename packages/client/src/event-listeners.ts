import { type AnyEvents, HeraldError } from '@herald/schema'
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
  /** Whether `name` has a listener: a payload nobody listens for is not decoded. */
  listening(name: string): boolean
  /** Calls the listeners of `name` with a decoded payload; one that throws is reported (`LISTENER_FAILED`). */
  deliver(name: string, payload: unknown, lastEventId: string): void
}

/**
 * Creates the listener registry of a client of `events`; `failed(event)` reports what a listener
 * of `event` throws.
 */
export function createEventListeners(
  events: AnyEvents,
  failed: (event: string) => (error: unknown) => void,
): EventListeners {
  // Per name: its listeners, and the report of one that throws (made once, not per event).
  const listeners = new Map<string, { hooks: Hooks<[unknown, EventMeta]>; onThrow: (error: unknown) => void }>()

  const listenersOf = (name: string) => {
    let entry = listeners.get(name)
    if (entry === undefined) {
      if (!events.specs.has(name)) {
        throw new HeraldError('UNKNOWN_EVENT', `event '${name}': not in the event map`, { event: name })
      }
      entry = { hooks: createHooks(), onThrow: failed(name) }
      listeners.set(name, entry)
    }
    return entry.hooks
  }

  return {
    add: (name, listener, once) => listenersOf(name).add(listener, once),
    remove(name, listener) {
      listeners.get(name)?.hooks.remove(listener)
    },
    check(name) {
      listenersOf(name)
    },
    listening: (name) => (listeners.get(name)?.hooks.size ?? 0) > 0,
    deliver(name, payload, lastEventId) {
      const entry = listeners.get(name)
      entry?.hooks.call(entry.onThrow, payload, { name, lastEventId })
    },
  }
}

/** The error for a listener of `event` (a hook when undefined) that threw `thrown`. */
export function listenerError(event: string | undefined, thrown: unknown): HeraldError {
  const who = event === undefined ? 'a hook' : `event '${event}': a listener`
  return new HeraldError('LISTENER_FAILED', `${who} threw: ${describeThrown(thrown)}`, { event, cause: thrown })
}

/** What a listener threw, in words; never throws itself (`String(Object.create(null))` does). */
function describeThrown(error: unknown): string {
  try {
    return String(error)
  } catch {
    return 'a value with no string form'
  }
}
