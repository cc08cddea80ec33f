// What a channel reads of a request and writes to its response. Node's `node:http` and
// `node:http2` (compatibility API) objects have these members under these names; the Fetch adapter
// (fetch-exchange.ts) builds a pair of its own. Internal: `handle` takes Node's types.
import type { IncomingHttpHeaders } from 'node:http'
import type { Socket } from 'node:net'

/** The parts of a request a channel reads. */
export interface ExchangeRequest {
  readonly method?: string | undefined
  /** The request target: path and query. */
  readonly url?: string | undefined
  readonly headers: IncomingHttpHeaders
  readonly httpVersion: string
  /** 1 for HTTP/1.x, whose socket carries one stream at a time and is the channel's to tune. */
  readonly httpVersionMajor: number
  /** The transport; an HTTP/1.x socket is set no-delay and watched for pipelined requests. */
  readonly socket: Pick<Socket, 'remoteAddress'> & Partial<Socket>
}

/** The parts of a response a channel uses. */
export interface ExchangeResponse {
  writeHead(status: number, headers?: Readonly<Record<string, string>>): this
  /** Queues bytes; false when more than the high-water mark waits unsent (then `'drain'` follows). */
  write(chunk: Uint8Array | string): boolean
  end(chunk?: Uint8Array | string): this
  /** Cuts the response off (the client sees the stream fail, and resumes). */
  destroy(): this
  /** Bytes queued and not yet taken by the client. */
  readonly writableLength: number
  readonly headersSent: boolean
  readonly destroyed: boolean
  readonly writableEnded: boolean
  /** The HTTP/1.1 socket, whose chunked body live events are written to directly. */
  readonly socket?: Socket | null | undefined
  /** `'close'` once the response has ended or its client left; `'drain'` once the queue is low again. */
  once(event: 'close' | 'drain', listener: () => void): this
}
