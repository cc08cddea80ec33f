// A raw node:net SSE client for load tests: it sends the GET itself and counts events in the
// bytes as they come (HTTP/1.1 chunked framing included), without decoding or keeping them, so
// hundreds can read tens of megabytes each without the test process becoming the bottleneck.
import { connect, type Socket } from 'node:net'

const ID_LINE = Buffer.from('\nid: ')
const CONTROL = Buffer.from('event: herald:')
const LAST_CHUNK = Buffer.from('\r\n0\r\n\r\n')

/** One raw stream and what it has seen so far. */
export interface RawSocketStream {
  readonly socket: Socket
  /**
   * Events received: `id:` lines not followed by a `herald:` event name. Each frame is one chunk,
   * so every `id:` line follows a `\n`.
   */
  readonly events: number
  readonly firstId: string | undefined
  readonly lastId: string | undefined
  /** Every byte received, headers and chunk framing included. */
  readonly bytes: number
  /** The first bytes received (up to 64 KiB): status line, headers and the start of the body. */
  readonly head: string
  /** The response ended cleanly: its last chunk arrived. */
  readonly finished: boolean
  /** The socket has closed. */
  readonly closed: boolean
  /** Resolves when the response is finished or the socket has closed, whichever comes first. */
  readonly ended: Promise<void>
  /** Resolves once `test(this)` holds, checked on every chunk; rejects after `ms`. */
  until(test: (stream: RawSocketStream) => boolean, ms?: number): Promise<void>
  /** Starts reading a stream opened with `paused`. */
  resume(): void
  destroy(): void
}

/**
 * Opens `GET path` on 127.0.0.1:`port`. With `paused` the socket is never read (so the server's
 * writes pile up) until `resume()`; Node reads at most one highWaterMark into its own buffer.
 */
export function openRawSocket(
  port: number,
  options: { path?: string; headers?: Record<string, string>; paused?: boolean } = {},
): RawSocketStream {
  const socket = connect({ port, host: '127.0.0.1' })
  const headerLines = Object.entries(options.headers ?? {}).map(([name, value]) => `${name}: ${value}\r\n`)
  socket.write(
    `GET ${options.path ?? '/events'} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n${headerLines.join('')}\r\n`,
  )
  let carry: Buffer = Buffer.alloc(0) // bytes that may start an `id:` line not yet complete
  let tail: Buffer = Buffer.alloc(0)
  let head = ''
  const waiters = new Set<() => void>()
  let markEnded = () => {}
  const ended = new Promise<void>((resolve) => {
    markEnded = resolve
  })
  const stream = {
    socket,
    events: 0,
    firstId: undefined as string | undefined,
    lastId: undefined as string | undefined,
    bytes: 0,
    get head() {
      return head
    },
    finished: false,
    closed: false,
    ended,
    until(test: (stream: RawSocketStream) => boolean, ms = 10_000) {
      if (test(stream)) return Promise.resolve()
      return new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(check)
          reject(new Error(`timed out after ${ms} ms: ${stream.events} events, ${stream.bytes} bytes`))
        }, ms)
        const check = () => {
          if (!test(stream)) return
          clearTimeout(timer)
          waiters.delete(check)
          resolve()
        }
        waiters.add(check)
      })
    },
    resume: () => {
      socket.on('data', feed)
    },
    destroy: () => {
      socket.destroy()
    },
  }

  function feed(chunk: Buffer) {
    stream.bytes += chunk.length
    if (head.length < 65_536) head += chunk.toString('latin1', 0, Math.min(chunk.length, 65_536 - head.length))
    const data = carry.length === 0 ? chunk : Buffer.concat([carry, chunk])
    let from = 0
    let keep = -1
    for (let at = data.indexOf(ID_LINE); at !== -1; at = data.indexOf(ID_LINE, from)) {
      const end = data.indexOf(10, at + ID_LINE.length)
      if (end === -1 || end + 1 + CONTROL.length > data.length) {
        keep = at // an `id:` line or the line after it cut by the chunk boundary: look again with the next chunk
        break
      }
      from = end
      if (data.subarray(end + 1, end + 1 + CONTROL.length).equals(CONTROL)) continue // Herald's own blocks
      const id = data.toString('latin1', at + ID_LINE.length, end)
      stream.events += 1
      stream.firstId ??= id
      stream.lastId = id
    }
    if (keep === -1) {
      // Keep only what could start an `id:` line: from a `\n` in the last four bytes. Mostly
      // there is none, and the next chunk is scanned without a copy.
      const newline = data.lastIndexOf(10)
      keep = newline !== -1 && newline >= data.length - (ID_LINE.length - 1) ? newline : data.length
    }
    carry = data.subarray(keep)
    tail = Buffer.concat([tail, chunk.subarray(-LAST_CHUNK.length)]).subarray(-LAST_CHUNK.length)
    if (tail.equals(LAST_CHUNK)) {
      stream.finished = true
      markEnded()
    }
    for (const wake of waiters) wake()
  }

  if (!options.paused) socket.on('data', feed)
  socket.on('error', () => {}) // a reset is an ending like any other here
  socket.on('close', () => {
    stream.closed = true
    markEnded()
    for (const wake of waiters) wake()
  })
  return stream
}
