import type { IncomingMessage, ServerResponse } from 'node:http'
import { SSE_HEADERS } from './headers.ts'
import type { StoredEvent } from './history.ts'

/** One open stream: its response, and what the channel needs to know to write to it. */
export interface Connection {
  readonly res: ServerResponse
  /** Live events held back while the replay is being written; `undefined` once live. */
  pending: StoredEvent[] | undefined
  /** Nothing was written since the last heartbeat tick. */
  idle: boolean
}

/** Sends the headers and the opening block, and returns the connection. */
export function openConnection(req: IncomingMessage, res: ServerResponse, prelude: Buffer): Connection {
  // Events are small and latency-bound: don't let Nagle hold them back.
  req.socket.setNoDelay(true)
  res.writeHead(200, req.httpVersionMajor === 1 ? { ...SSE_HEADERS, connection: 'keep-alive' } : SSE_HEADERS)
  res.write(prelude)
  return { res, pending: undefined, idle: false }
}

/** Writes one encoded block to the connection. */
export function write(connection: Connection, frame: Buffer): void {
  connection.idle = false
  connection.res.write(frame)
}
