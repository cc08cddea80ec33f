import type { Socket } from 'node:net'
import type { CatchUp } from './catch-up.ts'
import type { ExchangeRequest, ExchangeResponse } from './exchange.ts'
import { SSE_HEADERS } from './headers.ts'

/** One open stream: its response, and what the channel needs to know to write to it. */
export interface Connection {
  readonly res: ExchangeResponse
  /**
   * While the stream catches up (replay, then the live events that came meanwhile), what it still
   * has to write; `undefined` once it is live and gets each event as emitted.
   */
  catchUp: CatchUp | undefined
  /** Nothing was written since the last heartbeat tick. */
  idle: boolean
  /** The socket of an HTTP/1.1 chunked response, for live writes of ready-made chunks. */
  readonly socket: Socket | undefined
  /** The topics the stream joined: it receives their events besides the broadcasts. */
  readonly topics: ReadonlySet<string>
  /** The client asked for `topic:` lines (`?topicLines=1`): its blocks name its topics. */
  readonly topicLines: boolean
}

/** The headers of a stream: `Connection: keep-alive` is HTTP/1.1's alone. */
export function streamHeaders(req: ExchangeRequest): Readonly<Record<string, string>> {
  return req.httpVersion === '1.1' ? { ...SSE_HEADERS, connection: 'keep-alive' } : SSE_HEADERS
}

/**
 * Whether `res` can take no more bytes: ended, destroyed, or its socket ended by Node after the
 * client half-closed it (its 'close' comes a turn later). HTTP/2 responses tell by their stream.
 */
export function gone(res: ExchangeResponse): boolean {
  return (
    res.destroyed ||
    res.writableEnded ||
    res.socket?.writableEnded === true ||
    (res as { stream?: { destroyed?: boolean } }).stream?.destroyed === true
  )
}

/** Sends the headers and the opening block, and returns the connection. */
export function openConnection(
  req: ExchangeRequest,
  res: ExchangeResponse,
  prelude: Buffer,
  topics: ReadonlySet<string> = new Set(),
  topicLines = false,
): Connection {
  // Events are small and latency-bound: don't let Nagle hold them back. (HTTP/2 streams share
  // their session's socket, which is not theirs to set.)
  if (req.httpVersionMajor === 1) req.socket.setNoDelay?.(true)
  res.writeHead(200, streamHeaders(req))
  res.write(prelude)
  // Once the head is out, a chunked HTTP/1.1 body is plain bytes on the socket: the live path
  // writes chunks framed once per flush straight to it, skipping the per-write work of `res`.
  const chunked = (res as { chunkedEncoding?: boolean }).chunkedEncoding === true && req.httpVersionMajor === 1
  return {
    res,
    catchUp: undefined,
    idle: false,
    socket: chunked ? (res.socket ?? undefined) : undefined,
    topics,
    topicLines,
  }
}

const CRLF = Buffer.from('\r\n')

/** `frame` as one HTTP/1.1 chunk: its size in hex, the bytes, CRLF. */
export function toChunk(frame: Buffer): Buffer {
  return Buffer.concat([Buffer.from(`${frame.length.toString(16)}\r\n`), frame, CRLF])
}

/**
 * Writes one encoded block, as the ready-made `chunk` when the connection takes raw chunks; false
 * when the socket did not take it all (as `res.write`).
 */
export function write(connection: Connection, frame: Buffer, chunk?: Buffer): boolean {
  const { res, socket } = connection
  // Writing now would raise ERR_STREAM_WRITE_AFTER_END; the response's 'close' removes it.
  if (gone(res)) return true
  connection.idle = false
  return socket === undefined || chunk === undefined ? res.write(frame) : socket.write(chunk)
}
