import type { IncomingMessage, ServerResponse } from 'node:http'
import { SSE_HEADERS } from './headers.ts'
import type { StoredEvent } from './history.ts'

/** One open stream: its response, and what the channel needs to know to write to it. */
export interface Connection {
  readonly res: ServerResponse
  /** Unsent bytes beyond which the client is cut off (it resumes from history later). */
  readonly maxBufferedBytes: number
  /** Live events held back while the replay is being written; `undefined` once live. */
  pending: StoredEvent[] | undefined
  /** Nothing was written since the last heartbeat tick. */
  idle: boolean
}

/** Sends the headers and the opening block, and returns the connection. */
export function openConnection(
  req: IncomingMessage,
  res: ServerResponse,
  prelude: Buffer,
  maxBufferedBytes: number,
): Connection {
  // Events are small and latency-bound: don't let Nagle hold them back.
  req.socket?.setNoDelay(true)
  res.writeHead(200, req.httpVersionMajor === 1 ? { ...SSE_HEADERS, connection: 'keep-alive' } : SSE_HEADERS)
  res.write(prelude)
  return { res, maxBufferedBytes, pending: undefined, idle: false }
}

/**
 * Writes one encoded block. A client that reads slower than the channel emits makes Node queue
 * the bytes in memory; once more than `maxBufferedBytes` wait, the connection is destroyed so
 * the server's memory stays bounded, and the client resumes from history when it reconnects.
 */
export function write(connection: Connection, frame: Buffer): void {
  const { res } = connection
  if (res.destroyed) return
  connection.idle = false
  res.write(frame)
  if (res.writableLength > connection.maxBufferedBytes) res.destroy()
}
