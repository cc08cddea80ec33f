// One stream per HTTP/1 socket. HTTP/1.1 lets a client pipeline requests on one socket, and Node
// answers them in order: the response to a request sent behind a stream waits for the stream to
// end, which it never does. Node queues that response and never emits its 'close', so a stream
// opened for it would never be released. Herald therefore remembers which sockets carry a stream.
import type { Socket } from 'node:net'
import type { ExchangeRequest } from './exchange.ts'

// Shared by every channel: a request pipelined behind another channel's stream is stuck just the same.
const streaming = new WeakSet<Socket>()

/** The socket of an HTTP/1 request; `undefined` for HTTP/2, whose streams share their session's socket. */
export function socketOf(req: ExchangeRequest): Socket | undefined {
  return req.httpVersionMajor === 1 ? (req.socket as Socket) : undefined
}

/**
 * Whether no stream may start on `socket`: it is closed (a request parsed after its client left,
 * whose response would never be released), or it already carries a stream (a pipelined request).
 */
export function unusable(socket: Socket): boolean {
  return socket.destroyed || streaming.has(socket)
}

/** Marks `socket` as carrying a stream, until `release(socket)`. */
export function claim(socket: Socket): void {
  streaming.add(socket)
}

/** The stream on `socket` has ended: a keep-alive client may open another on it. */
export function release(socket: Socket): void {
  streaming.delete(socket)
}
