import type { IncomingMessage, ServerResponse } from 'node:http'
import { SSE_HEADERS } from './headers.ts'
import type { StoredEvent } from './history.ts'

/** One open stream: its response, and what the channel needs to know to write to it. */
export interface Connection {
  readonly res: ServerResponse
  /**
   * While the stream catches up (replay, then the live events that came meanwhile), the events
   * still to write, from `sent` on; `undefined` once it is live and gets each event as emitted.
   */
  queue: StoredEvent[] | undefined
  /** How many events of `queue` were written. */
  sent: number
  /** Nothing was written since the last heartbeat tick. */
  idle: boolean
}

/** Sends the headers and the opening block, and returns the connection. */
export function openConnection(req: IncomingMessage, res: ServerResponse, prelude: Buffer): Connection {
  // Events are small and latency-bound: don't let Nagle hold them back.
  req.socket?.setNoDelay(true)
  res.writeHead(200, req.httpVersionMajor === 1 ? { ...SSE_HEADERS, connection: 'keep-alive' } : SSE_HEADERS)
  res.write(prelude)
  return { res, queue: undefined, sent: 0, idle: false }
}

/** Writes one encoded block; false when the socket did not take it all (see `res.write`). */
export function write(connection: Connection, frame: Buffer): boolean {
  const { res } = connection
  if (res.destroyed) return true
  connection.idle = false
  return res.write(frame)
}
