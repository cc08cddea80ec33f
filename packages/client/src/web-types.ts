// Structural stand-ins for the DOM types the client's public declarations would otherwise name.
// `HeadersInit`, `AddEventListenerOptions` and `EventListenerOrEventListenerObject` exist only in
// the DOM lib, and Node's types declare `MessageEvent` without a type parameter, so a Node project
// without the DOM lib could not compile declarations that use them. These name only what both
// the DOM lib and `@types/node` declare (`Headers`, `Event`, `MessageEvent`, `AbortSignal`), and
// the DOM's own types fit them.

/** Request headers: a `Headers`, a record or a list of name/value pairs, as the DOM's `HeadersInit`. */
export type HeadersInitLike = Headers | Record<string, string> | [string, string][]

/** A listener as `addEventListener` takes it: a function or an object with `handleEvent`. */
export type EventListenerLike = ((event: Event) => void) | { handleEvent(event: Event): void }

/** The options of `addEventListener`, as the DOM's `AddEventListenerOptions`. */
export interface AddListenerOptions {
  /** Listen in the capture phase. */
  capture?: boolean
  /** Remove the listener after its first call. */
  once?: boolean
  /** The listener never calls `preventDefault()`. */
  passive?: boolean
  /** Removes the listener when aborted. */
  signal?: AbortSignal
}

/** The options of `removeEventListener`, as the DOM's `EventListenerOptions`. */
export interface RemoveListenerOptions {
  /** Remove the capture-phase listener. */
  capture?: boolean
}

/** A message event whose `data` is a string: the DOM's `MessageEvent<string>` fits, and so does Node's. */
export type StringMessageEvent = MessageEvent & { readonly data: string }
