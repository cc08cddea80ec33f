import type { HeraldEventSource, HeraldEventSourceInit } from './event-source.ts'

type OnMessage = (message: MessageEvent<string>) => void
type Watched = new (url: string, init: HeraldEventSourceInit, onMessage: OnMessage) => HeraldEventSource

/**
 * Herald's EventSource (`Base`: `HeraldEventSource` or a subclass), also showing every message it
 * dispatches to `onMessage`. An EventSource fires a named event only at listeners of that name,
 * so an event the contract does not declare would otherwise vanish unseen; with this the client
 * can report it. A browser's native EventSource dispatches inside the engine, out of reach, so
 * this works with Herald's only. `Base` is a parameter, not an import, so a browser bundle that
 * never uses Herald's EventSource leaves it out.
 */
export function openWatchedEventSource(
  Base: typeof HeraldEventSource,
  url: string,
  init: HeraldEventSourceInit,
  onMessage: OnMessage,
): HeraldEventSource {
  let Subclass = subclasses.get(Base)
  if (Subclass === undefined) {
    Subclass = watching(Base)
    subclasses.set(Base, Subclass)
  }
  return new Subclass(url, init, onMessage)
}

const subclasses = new WeakMap<typeof HeraldEventSource, Watched>()

// HeraldEventSource dispatches each message with `this.dispatchEvent`, so an override sees them
// all, after the listeners of their name ran.
function watching(Base: typeof HeraldEventSource): Watched {
  return class WatchedEventSource extends Base {
    readonly #onMessage: OnMessage

    constructor(url: string, init: HeraldEventSourceInit, onMessage: OnMessage) {
      // The first request starts asynchronously, so no message can arrive before the field is set.
      super(url, init)
      this.#onMessage = onMessage
    }

    override dispatchEvent(event: Event): boolean {
      const result = super.dispatchEvent(event)
      if (event instanceof MessageEvent) this.#onMessage(event as MessageEvent<string>)
      return result
    }
  }
}
