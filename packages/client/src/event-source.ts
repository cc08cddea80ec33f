import { REFUSED_HEADER } from '@herald/schema'
import { type Backoff, createBackoff } from './backoff.ts'
import { BOOLEAN, COUNT, checkOptions, DELAY, FUNCTION, HEADERS, ID } from './options.ts'
import { redactUrl } from './redact.ts'
import { createRedactor } from './redactor.ts'
import { createSseParser, type SseEvent, type SseParser } from './sse-parser.ts'
import type {
  AddListenerOptions,
  EventListenerLike,
  HeadersInitLike,
  RemoveListenerOptions,
  StringMessageEvent,
} from './web-types.ts'

/** The part of the WHATWG `EventSource` the Herald client uses; the browser's and `HeraldEventSource` both fit. */
export interface EventSourceLike {
  /** 0 connecting, 1 open, 2 closed. */
  readonly readyState: number
  /** The resolved stream URL. */
  readonly url: string
  /** Whether cross-origin requests send credentials. */
  readonly withCredentials: boolean
  /** Stops the stream for good. */
  close(): void
  /** Listens for `open`, `error`, `message` or a named event. */
  addEventListener(type: string, listener: (event: Event) => void, options?: boolean | AddListenerOptions): void
  /** Removes a listener added with `addEventListener`. */
  removeEventListener(type: string, listener: (event: Event) => void, options?: boolean | RemoveListenerOptions): void
}

/** A constructor the Herald client can be given: `EventSource`, `HeraldEventSource` or a polyfill. */
export type EventSourceConstructor = new (url: string, init?: { withCredentials?: boolean }) => EventSourceLike

/** Options for `HeraldEventSource`; the first is the standard `EventSourceInit`, the rest are Herald's. */
export interface HeraldEventSourceInit {
  /** Send cookies and HTTP auth cross-origin (`credentials: 'include'`). @default false */
  withCredentials?: boolean | undefined
  /**
   * Extra request headers, or a function called before every (re)connect so a token can be
   * refreshed; if it throws, that attempt counts as a network error and is retried. `Accept`,
   * `Cache-Control` and `Last-Event-ID` are always set by the spec's rules and override these.
   */
  headers?: HeadersInitLike | (() => HeadersInitLike | Promise<HeadersInitLike>) | undefined
  /** The fetch to use, for tests or custom agents. @default globalThis.fetch */
  fetch?: typeof fetch | undefined
  /** The `Last-Event-ID` to send on the first connect, to resume a stream. @default '' */
  lastEventId?: string | undefined
  /** Longest stream line kept; see `SseParserOptions`. @default 67108864 (64 MiB) */
  maxLineLength?: number | undefined
  /** Most data one event may collect; see `SseParserOptions`. @default 67108864 (64 MiB) */
  maxEventLength?: number | undefined
  /** The reconnection time until the server sends `retry:`. @default 3000 */
  retryMs?: number | undefined
  /**
   * The longest wait between reconnection attempts, before jitter. Each wait is the `retry:` time
   * (at least 100 ms), doubled for every attempt in a row that failed or ended within 1 s of
   * opening (events or not), up to this, then stretched by up to half at random; a connection
   * that stayed open 1 s resets it. @default 30000
   */
  maxRetryMs?: number | undefined
  /** Told when an event is dropped for breaking a limit; the stream stays open. */
  onParseError?: ((message: string) => void) | undefined
}

/** The `error` event, with what went wrong (a server's `event: error` message arrives as a `MessageEvent`). */
export interface HeraldErrorEvent extends Event {
  /**
   * The HTTP status when the server answered but the stream was refused: for good (204, 401, 500,
   * 200 with the wrong type; `readyState` 2) or for now (Herald's turn-away, 200; `readyState` 0).
   */
  readonly status?: number
  /** Why the connection failed or dropped, e.g. `HTTP 401 Unauthorized` or `stream ended`. */
  readonly message?: string
}

/**
 * A message `HeraldEventSource` dispatches: a `MessageEvent` with the topics Herald's server named
 * in its block (`topic:` lines), `[]` for a broadcast. A native EventSource has no `topics`.
 */
export type HeraldMessageEvent = StringMessageEvent & { readonly topics: readonly string[] }

/** The events a `HeraldEventSource` fires, by type. */
export interface HeraldEventSourceEventMap {
  open: Event
  message: HeraldMessageEvent
  error: HeraldErrorEvent
}

type Listener<TEvent> = (this: HeraldEventSource, event: TEvent) => unknown
type Callback = EventListenerLike | null
type AddOptions = boolean | AddListenerOptions
type RemoveOptions = boolean | RemoveListenerOptions
type Handlers = { [TType in keyof HeraldEventSourceEventMap]: Listener<HeraldEventSourceEventMap[TType]> | null }

const CONNECTING = 0
const OPEN = 1
const CLOSED = 2
/** Where `HeraldEventSource` keeps the wait before its next attempt on its `error` event. */
const RETRY_WAIT = Symbol('herald.retryWait')

/**
 * A WHATWG-exact `EventSource` on `fetch`, `ReadableStream`, `TextDecoder` and `EventTarget`, so it
 * runs on Node 20 and can send headers. Redirects are followed; on a cross-origin redirect fetch
 * (undici in Node, as in browsers) drops `Authorization` and `Cookie` (CVE-2022-1650), but other
 * custom headers are forwarded, so put secrets only in those two. In a browser the headers it sets
 * (`Cache-Control`, `Last-Event-ID`, yours) make a cross-origin request CORS-preflighted, which the
 * native `EventSource` avoids.
 * @see https://html.spec.whatwg.org/multipage/server-sent-events.html
 */
export class HeraldEventSource extends EventTarget {
  /** Marks Herald's EventSource and its subclasses, which take `headers` and `fetch`: `createClient` checks it. */
  static readonly takesHeaders = true
  static readonly CONNECTING = CONNECTING
  static readonly OPEN = OPEN
  static readonly CLOSED = CLOSED
  readonly CONNECTING = CONNECTING
  readonly OPEN = OPEN
  readonly CLOSED = CLOSED
  /** The stream URL, resolved against the page in a browser. */
  readonly url: string
  /** Whether cross-origin requests send credentials. */
  readonly withCredentials: boolean
  #readyState: 0 | 1 | 2 = CONNECTING
  #reconnectionTime = 3000
  readonly #backoff: Backoff
  readonly #redact: (text: string) => string
  #origin = 'null'
  #controller: AbortController | undefined
  readonly #parser: SseParser
  readonly #fetch: typeof fetch
  readonly #headers: HeraldEventSourceInit['headers']
  readonly #handlers: Handlers = { open: null, message: null, error: null }
  readonly #handlerListeners = new Map<string, (event: Event) => void>()

  /** Opens the stream; throws a `SyntaxError` for a URL that cannot be parsed. */
  constructor(url: string | URL, init: HeraldEventSourceInit = {}) {
    super()
    const base = (globalThis as { location?: { href?: string } }).location?.href
    try {
      this.url = new URL(url, base).href
    } catch {
      throw new DOMException(`invalid EventSource URL: ${redactUrl(String(url))}`, 'SyntaxError')
    }
    checkOptions('HeraldEventSource', init, {
      withCredentials: BOOLEAN,
      headers: HEADERS,
      fetch: FUNCTION,
      lastEventId: ID,
      maxLineLength: COUNT,
      maxEventLength: COUNT,
      retryMs: DELAY,
      maxRetryMs: DELAY,
      onParseError: FUNCTION,
    })
    const lastEventId = init.lastEventId ?? ''
    this.withCredentials = init.withCredentials ?? false
    this.#fetch = init.fetch ?? globalThis.fetch.bind(globalThis)
    this.#headers = init.headers
    this.#backoff = createBackoff({ capMs: init.maxRetryMs ?? 30_000 })
    this.#redact = createRedactor(this.url)
    this.#reconnectionTime = init.retryMs ?? 3000
    this.#parser = createSseParser({
      onEvent: (event) => this.#dispatchMessage(event),
      onRetry: (ms) => {
        this.#reconnectionTime = ms
      },
      onError: init.onParseError,
      maxLineLength: init.maxLineLength,
      maxEventLength: init.maxEventLength,
    })
    this.#parser.lastEventId = lastEventId
    void this.#connect()
  }

  /** 0 (`CONNECTING`), 1 (`OPEN`) or 2 (`CLOSED`). */
  get readyState(): 0 | 1 | 2 {
    return this.#readyState
  }

  /** Called when the stream opens. */
  get onopen(): Handlers['open'] {
    return this.#handlers.open
  }
  set onopen(handler: Handlers['open']) {
    this.#setHandler('open', handler)
  }
  /** Called for each event without an `event:` field. */
  get onmessage(): Handlers['message'] {
    return this.#handlers.message
  }
  set onmessage(handler: Handlers['message']) {
    this.#setHandler('message', handler)
  }
  /** Called when the connection drops (`readyState` 0, a retry follows) or fails (`readyState` 2). */
  get onerror(): Handlers['error'] {
    return this.#handlers.error
  }
  set onerror(handler: Handlers['error']) {
    this.#setHandler('error', handler)
  }

  /** Stops the stream: aborts the request, cancels a pending reconnect, fires nothing more. */
  close(): void {
    this.#readyState = CLOSED
    this.#backoff.cancel()
    this.#controller?.abort()
    this.#controller = undefined
    this.#parser.reset()
  }

  /** Listens for `open`, `message`, `error` or a named event, typed by `HeraldEventSourceEventMap`. */
  override addEventListener<TType extends keyof HeraldEventSourceEventMap>(
    type: TType,
    listener: Listener<HeraldEventSourceEventMap[TType]>,
    options?: AddOptions,
  ): void
  override addEventListener(type: string, listener: Listener<HeraldMessageEvent>, options?: AddOptions): void
  override addEventListener(type: string, listener: Callback, options?: AddOptions): void
  override addEventListener(type: string, listener: Listener<HeraldMessageEvent> | Callback, options?: AddOptions) {
    super.addEventListener(type, listener as Callback, options)
  }

  /** Removes a listener added with `addEventListener`. */
  override removeEventListener<TType extends keyof HeraldEventSourceEventMap>(
    type: TType,
    listener: Listener<HeraldEventSourceEventMap[TType]>,
    options?: RemoveOptions,
  ): void
  override removeEventListener(type: string, listener: Listener<HeraldMessageEvent>, options?: RemoveOptions): void
  override removeEventListener(type: string, listener: Callback, options?: RemoveOptions): void
  override removeEventListener(
    type: string,
    listener: Listener<HeraldMessageEvent> | Callback,
    options?: RemoveOptions,
  ) {
    super.removeEventListener(type, listener as Callback, options)
  }

  // As the spec's event handler attributes: the listener takes its place at the first assignment
  // and keeps it while the handler is swapped; assigning null removes it.
  #setHandler<TType extends keyof Handlers>(type: TType, handler: Handlers[TType]): void {
    this.#handlers[type] = typeof handler === 'function' ? handler : null
    const listener = this.#handlerListeners.get(type)
    if (this.#handlers[type] !== null && listener === undefined) {
      const call = (event: Event): void => {
        const current = this.#handlers[type] as Listener<Event> | null
        current?.call(this, event)
      }
      this.#handlerListeners.set(type, call)
      super.addEventListener(type, call)
    } else if (this.#handlers[type] === null && listener !== undefined) {
      this.#handlerListeners.delete(type)
      super.removeEventListener(type, listener)
    }
  }

  // One connection attempt; never rejects. Every await is followed by a check that this attempt is
  // still the current one, so nothing is dispatched after close().
  async #connect(): Promise<void> {
    const controller = new AbortController()
    this.#controller = controller
    const current = (): boolean => this.#controller === controller
    try {
      const headers = await this.#requestHeaders()
      if (!current()) return
      const doFetch = this.#fetch // called unbound: a browser's fetch rejects any other `this`
      const response = await doFetch(this.url, {
        method: 'GET',
        headers,
        credentials: this.withCredentials ? 'include' : 'same-origin',
        cache: 'no-store',
        mode: 'cors',
        redirect: 'follow',
        signal: controller.signal,
      })
      if (!current()) return
      const type = response.headers.get('content-type')
      if (response.status !== 200 || !isEventStream(type)) {
        const message =
          response.status === 200
            ? `expected content type text/event-stream, got ${type === null ? 'none' : `'${type}'`}`
            : `HTTP ${response.status}${response.statusText === '' ? '' : ` ${response.statusText}`}`
        this.#fail(message, response.status)
        return
      }
      // Herald turns a request away (at a connection limit, or shutting down) with a 200 stream
      // that holds only `retry:`, so that a native EventSource comes back; its `Herald-Refused`
      // header lets this one read that retry without ever announcing the stream as open.
      const refused = response.headers.has(REFUSED_HEADER)
      if (!refused) {
        this.#origin = new URL(response.url === '' ? this.url : response.url).origin
        this.#readyState = OPEN
        this.#backoff.opened()
        this.dispatchEvent(new Event('open'))
        if (!current()) return
      }
      // A fresh decoder per connection, in streaming mode: it strips this stream's BOM and keeps
      // a multibyte character split across chunks.
      const decoder = new TextDecoder('utf-8')
      const reader = response.body?.getReader()
      this.#parser.reset()
      for (let chunk = await reader?.read(); chunk?.done === false; chunk = await reader?.read()) {
        if (!current()) return
        this.#parser.feed(decoder.decode(chunk.value, { stream: true }))
        if (!current()) return
      }
      if (current() && refused) return this.#reestablish('the server turned the connection away', response.status)
      if (current()) this.#reestablish('stream ended')
    } catch (error) {
      if (current()) this.#reestablish(describe(error))
    }
  }

  async #requestHeaders(): Promise<Headers> {
    const headers = new Headers(typeof this.#headers === 'function' ? await this.#headers() : this.#headers)
    headers.set('Accept', 'text/event-stream')
    headers.set('Cache-Control', 'no-store')
    const id = this.#parser.lastEventId
    if (id === '') headers.delete('Last-Event-ID')
    else headers.set('Last-Event-ID', utf8ByteString(id))
    return headers
  }

  #dispatchMessage(event: SseEvent): void {
    if (this.#readyState !== OPEN) return
    const { type, data, lastEventId, topics } = event
    const message = new MessageEvent(type, { data, lastEventId, origin: this.#origin })
    // Herald's `topic:` lines: which topics the event was sent to ([] for a broadcast).
    Object.defineProperty(message, 'topics', { value: Object.freeze(topics ?? []), enumerable: true })
    this.dispatchEvent(message)
  }

  // "Reestablish the connection": error event with readyState CONNECTING, then a retry after the
  // reconnection time, unless a listener closed the source meanwhile.
  #reestablish(message: string, status?: number): void {
    this.#controller?.abort()
    this.#controller = undefined
    if (this.#readyState === CLOSED) return
    this.#readyState = CONNECTING
    // The reconnection time, at least a floor, doubled while connections keep failing or ending
    // quickly (an event does not reset it: only a connection that lasted does), and jittered.
    const wait = this.#backoff.next(this.#reconnectionTime)
    const event = errorEvent(this.#redact(`${message}; retrying in ${wait} ms`), status)
    Object.defineProperty(event, RETRY_WAIT, { value: wait })
    this.dispatchEvent(event)
    // The wait starts once the listeners have run, so the retry is never earlier than announced.
    if (this.#readyState === CONNECTING) this.#backoff.after(wait, () => void this.#connect())
  }

  // "Fail the connection": closed for good. The abort releases a body the server left open.
  #fail(message: string, status: number): void {
    this.#controller?.abort()
    this.#controller = undefined
    if (this.#readyState === CLOSED) return
    this.#readyState = CLOSED
    this.dispatchEvent(errorEvent(this.#redact(message), status))
  }
}

/** How long a `HeraldEventSource` waits before the attempt its `error` event announces, if it is one. */
export function retryWaitOf(event: Event): number | undefined {
  const wait = (event as { [RETRY_WAIT]?: unknown })[RETRY_WAIT]
  return typeof wait === 'number' ? wait : undefined
}

// The MIME type essence must be text/event-stream: type and subtype are case-insensitive and
// parameters such as charset are ignored (the stream is always UTF-8).
function isEventStream(contentType: string | null): boolean {
  if (contentType === null) return false
  const semicolon = contentType.indexOf(';')
  const essence = semicolon === -1 ? contentType : contentType.slice(0, semicolon)
  return essence.trim().toLowerCase() === 'text/event-stream'
}

// The spec sends the ID as UTF-8 bytes; `Headers` takes a byte string, one character per byte.
function utf8ByteString(text: string): string {
  const bytes = new TextEncoder().encode(text)
  if (bytes.length === text.length) return text
  let binary = ''
  for (const byte of bytes) binary += String.fromCharCode(byte)
  return binary
}

function errorEvent(message: string, status: number | undefined): HeraldErrorEvent {
  const fields: PropertyDescriptorMap = { message: { value: message, enumerable: true } }
  if (status !== undefined) fields['status'] = { value: status, enumerable: true }
  return Object.defineProperties(new Event('error'), fields)
}

function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error)
  return error.cause instanceof Error ? `${error.message}: ${error.cause.message}` : error.message
}
