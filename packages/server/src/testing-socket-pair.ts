// Two connected in-memory sockets: what one writes, the other reads. `connect()` gives one end to
// a node:http server (`server.emit('connection', socket)`) and the other to a node:http client,
// so a test stream is a real HTTP/1.1 exchange (parser, chunked encoding, 'close' on either side)
// without a port. Bytes move on process.nextTick, never on a timer, so fake timers don't stall it.
import { Duplex } from 'node:stream'

/** One end of an in-memory connection, with the `net.Socket` members node:http and Herald use. */
export class MemorySocket extends Duplex {
  /** The address the server sees, as `req.socket.remoteAddress` (Herald's default client key). */
  remoteAddress: string
  readonly remotePort = 0
  readonly remoteFamily = 'IPv4'
  readonly localAddress = '127.0.0.1'
  readonly localPort = 0
  readonly connecting = false
  readonly encrypted = false
  peer: MemorySocket | undefined
  // A write the peer has no room for yet waits here for the peer's next read.
  private waiting: (() => void) | undefined

  constructor(remoteAddress: string) {
    super({ allowHalfOpen: false })
    this.remoteAddress = remoteAddress
  }

  override _read(): void {
    const resume = this.peer?.waiting
    if (this.peer !== undefined) this.peer.waiting = undefined
    resume?.()
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    const peer = this.peer
    // Copied, so a writer that reuses its buffer cannot change bytes already sent.
    if (peer === undefined || peer.destroyed) callback()
    else if (peer.push(Buffer.from(chunk))) process.nextTick(callback)
    else this.waiting = callback
  }

  override _final(callback: (error?: Error | null) => void): void {
    const peer = this.peer
    if (peer !== undefined && !peer.destroyed) peer.push(null)
    callback()
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    const peer = this.peer
    this.waiting?.()
    this.waiting = undefined
    // The other end sees the connection go, as a reset TCP peer would.
    if (peer !== undefined && !peer.destroyed) process.nextTick(() => peer.destroy())
    callback(error)
  }

  // What node:http and Herald call on a TCP socket; meaningless in memory.
  setNoDelay(): this {
    return this
  }
  setKeepAlive(): this {
    return this
  }
  setTimeout(): this {
    return this
  }
  ref(): this {
    return this
  }
  unref(): this {
    return this
  }
  address(): { address: string; family: string; port: number } {
    return { address: this.localAddress, family: 'IPv4', port: 0 }
  }
}

/** A connected pair: `[client, server]`. `remoteAddress` is the client's, as the server sees it. */
export function createSocketPair(remoteAddress = '127.0.0.1'): [client: MemorySocket, server: MemorySocket] {
  const client = new MemorySocket('127.0.0.1')
  const server = new MemorySocket(remoteAddress)
  client.peer = server
  server.peer = client
  return [client, server]
}
