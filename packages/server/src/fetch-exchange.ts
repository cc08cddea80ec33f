// A Fetch request and its coming `Response`, as the request and response a channel serves. The
// response body is a ReadableStream: a write queues bytes (backpressure is its queue's desired
// size, as Node's high-water mark), the client's reads pull them. The client leaving (the body
// cancelled, or the request's signal aborted) is the response's 'close'. Nothing here imports
// from `node:`, so it bundles for edge runtimes.
import type { ExchangeRequest, ExchangeResponse } from './exchange.ts'

/** The queue of unsent bytes past which `write` returns false, as Node's default high-water mark. */
const HIGH_WATER_MARK = 64 * 1024
const encoder = new TextEncoder()

/** A Fetch request as a channel reads it, the response it writes, and the `Response` that makes. */
export interface FetchExchange {
  readonly req: ExchangeRequest
  /** `leave()`: the client left, or nothing will be sent; the exchange ends quietly. */
  readonly res: ExchangeResponse & { leave(): void }
  /** Settles once the channel sent the head (or the client left first: then a bodiless `499`). */
  readonly response: Promise<Response>
}

/**
 * Wraps `request`, whose target (path and query) is `url`. `address` is the client's, for the channel's per-client limits (`clientKey`
 * reads `req.socket.remoteAddress`). The request is presented as HTTP/2's are: its transport is
 * not the channel's to tune, and a stream needs no `Connection` header.
 */
export function fetchExchange(request: Request, url: string, address: string | undefined): FetchExchange {
  const headers: Record<string, string> = {}
  request.headers.forEach((value, name) => {
    headers[name] = value
  })
  const req: ExchangeRequest = {
    method: request.method,
    url,
    headers,
    httpVersion: '2.0',
    httpVersionMajor: 2,
    socket: { remoteAddress: address },
  }

  let settle: (response: Response) => void = () => {}
  const response = new Promise<Response>((resolve) => {
    settle = resolve
  })
  const res = new FetchResponse(request.method === 'HEAD', settle)
  const onAbort = () => res.leave()
  res.once('close', () => request.signal?.removeEventListener('abort', onAbort))
  if (request.signal?.aborted) res.leave()
  else request.signal?.addEventListener('abort', onAbort)
  return { req, res, response }
}

/** The response a channel writes: its head settles the `Response`, its bytes feed the body. */
class FetchResponse implements ExchangeResponse {
  headersSent = false
  destroyed = false
  writableEnded = false
  #closed = false
  #listeners = { close: [] as (() => void)[], drain: [] as (() => void)[] }
  readonly #controller: ReadableStreamDefaultController<Uint8Array>
  readonly #body: ReadableStream<Uint8Array>
  readonly #head: boolean
  readonly #settle: (response: Response) => void

  constructor(head: boolean, settle: (response: Response) => void) {
    this.#head = head
    this.#settle = settle
    let controller: ReadableStreamDefaultController<Uint8Array> | undefined
    this.#body = new ReadableStream<Uint8Array>(
      {
        start: (c) => {
          controller = c
        },
        pull: () => this.#fire('drain'),
        // The client left (or the server stopped reading): the stream is over.
        cancel: () => this.leave(),
      },
      // A plain strategy, not `new ByteLengthQueuingStrategy()`: Next.js's edge runtime has none.
      { highWaterMark: HIGH_WATER_MARK, size: (chunk) => chunk.byteLength },
    )
    this.#controller = controller as ReadableStreamDefaultController<Uint8Array>
  }

  get writableLength(): number {
    return this.#closed ? 0 : Math.max(0, HIGH_WATER_MARK - (this.#controller.desiredSize ?? HIGH_WATER_MARK))
  }

  writeHead(status: number, headers: Readonly<Record<string, string>> = {}): this {
    this.headersSent = true
    // A HEAD request, and a 405, have no body.
    const body = this.#head || status === 405 ? null : this.#body
    this.#settle(new Response(body, { status, headers }))
    return this
  }

  write(chunk: Uint8Array | string): boolean {
    if (this.#closed) return true
    this.#controller.enqueue(bytes(chunk))
    return (this.#controller.desiredSize ?? 0) > 0
  }

  end(chunk?: Uint8Array | string): this {
    if (this.#closed) return this
    this.writableEnded = true
    if (chunk !== undefined && chunk.length > 0) this.#controller.enqueue(bytes(chunk))
    this.#controller.close()
    this.#finish()
    return this
  }

  destroy(): this {
    if (this.#closed) return this
    this.destroyed = true
    // The body fails and its queue is dropped: the server aborts the response, the client sees the
    // stream cut and resumes. (A runtime may log this error: a cut is worth knowing about.)
    this.#controller.error(new Error('Herald cut the stream off (a slow client, or a failed replay); it resumes'))
    this.#finish()
    return this
  }

  /** The client left: the stream is over, quietly (nothing to report, no one to tell). */
  leave(): void {
    if (this.#closed) return
    this.destroyed = true
    try {
      this.#controller.close()
    } catch {
      // Already closed by a cancel: nothing left to do.
    }
    this.#finish()
  }

  once(event: 'close' | 'drain', listener: () => void): this {
    this.#listeners[event].push(listener)
    return this
  }

  // Ends the exchange once, whichever way: its 'close' is what frees the stream's slot.
  #finish(): void {
    if (this.#closed) return
    this.#closed = true
    if (!this.headersSent) this.#settle(new Response(null, { status: 499 }))
    queueMicrotask(() => this.#fire('close'))
  }

  #fire(event: 'close' | 'drain'): void {
    const waiting = this.#listeners[event]
    this.#listeners[event] = []
    for (const listener of waiting) listener()
  }
}

const bytes = (chunk: Uint8Array | string): Uint8Array => (typeof chunk === 'string' ? encoder.encode(chunk) : chunk)
