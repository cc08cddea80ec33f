// The load generator's per-connection reader. It undoes HTTP/1.1 chunked framing and finds the
// `"seq":` of each event's JSON data, all on Buffers: the bytes are searched with indexOf and
// numbers are read digit by digit, so no string is built per event, let alone per byte. Only
// complete lines are scanned; a line cut by a read or a chunk boundary waits for the rest.
// tRPC wraps ids differently, but every server's data line holds the same JSON object, so
// finding `"seq":` and `"t":` in it works for all of them.
import type { Histogram } from './histogram.ts'

/** What all connections of one load generator share: the expectation and the latency histogram. */
export interface Tally {
  /** Events 1..expected are due on every connection. */
  expected: number
  /** Events up to this seq are left out of the latency histogram (JIT warm-up). */
  warmup: number
  readonly latency: Histogram
  /** Connections that have every expected event. */
  complete: number
  /** Monotonic time (µs) when the last connection completed. */
  lastMicros: number
  /** Called each time a connection completes. */
  onComplete(): void
}

/** One connection's reader and counters. */
export interface StreamCounter {
  /** Feeds bytes as read from the socket; `now` is the read time in µs. */
  push(chunk: Buffer, now: number): void
  /** Forgets the events counted so far (call after changing `tally.expected`). */
  reset(): void
  /** The HTTP status, 0 until the response head has arrived. */
  readonly status: number
  readonly distinct: number
  readonly duplicated: number
  readonly reordered: number
  readonly unexpected: number
  readonly bytes: number
  /** Time of the last byte received, µs. */
  readonly lastReceived: number
}

const LF = 0x0a
const CR = 0x0d
const SEQ = Buffer.from('"seq":')
const T = Buffer.from('"t":')
const HEAD_END = Buffer.from('\r\n\r\n')

// Chunked-body states.
const SIZE = 0
const EXTENSION = 1
const DATA = 2
const DATA_END = 3
const DONE = 4

/** Reads one number (digits, an optional fraction) at `at`; returns it and the index after it. */
function readNumber(bytes: Buffer, at: number, end: number): [value: number, next: number] {
  let value = 0
  let index = at
  while (index < end) {
    const digit = (bytes[index] as number) - 48
    if (digit < 0 || digit > 9) break
    value = value * 10 + digit
    index++
  }
  if (index < end && bytes[index] === 0x2e) {
    let scale = 0.1
    index++
    while (index < end) {
      const digit = (bytes[index] as number) - 48
      if (digit < 0 || digit > 9) break
      value += digit * scale
      scale /= 10
      index++
    }
  }
  return [value, index]
}

function hexValue(byte: number): number {
  if (byte >= 48 && byte <= 57) return byte - 48
  if (byte >= 97 && byte <= 102) return byte - 87
  if (byte >= 65 && byte <= 70) return byte - 55
  return -1
}

/** Creates the reader of one connection. */
export function createStreamCounter(tally: Tally): StreamCounter {
  let head: Buffer | undefined = Buffer.alloc(0) // the response head until it is complete
  let status = 0
  let chunked = false
  let state = SIZE
  let chunkLeft = 0
  let carry: Buffer | undefined // an incomplete line of body text
  let seen = new Uint8Array(tally.expected + 1)
  let distinct = 0
  let highest = 0
  let duplicated = 0
  let reordered = 0
  let unexpected = 0
  let bytes = 0
  let lastReceived = 0

  const count = (seq: number, sentAt: number, now: number) => {
    if (!Number.isInteger(seq) || seq < 1 || seq > tally.expected) {
      unexpected++
      return
    }
    if (seen[seq] === 1) {
      duplicated++
      return
    }
    seen[seq] = 1
    distinct++
    if (seq < highest) reordered++
    else highest = seq
    if (seq > tally.warmup && !Number.isNaN(sentAt)) tally.latency.record(now - sentAt)
    if (distinct === tally.expected) {
      tally.complete++
      tally.lastMicros = now
      tally.onComplete()
    }
  }

  /** Scans body text up to its last LF for events; keeps the rest for the next read. */
  const text = (chunk: Buffer, from: number, to: number, now: number) => {
    let body = chunk.subarray(from, to)
    if (carry !== undefined) {
      body = Buffer.concat([carry, body])
      carry = undefined
    }
    const lastLine = body.lastIndexOf(LF)
    if (lastLine === -1) {
      carry = Buffer.from(body)
      return
    }
    let at = body.indexOf(SEQ)
    while (at !== -1 && at < lastLine) {
      const [seq, after] = readNumber(body, at + SEQ.length, lastLine)
      // Every server writes {"seq":…,"t":…}: check those five bytes by hand (a Buffer method call
      // costs more than the check); look further along the line only if they are not there.
      let tAt =
        body[after] === 0x2c &&
        body[after + 1] === 0x22 &&
        body[after + 2] === 0x74 &&
        body[after + 3] === 0x22 &&
        body[after + 4] === 0x3a
          ? after + 1
          : -1
      if (tAt === -1) {
        const lineEnd = body.indexOf(LF, after)
        tAt = body.indexOf(T, after)
        if (tAt > lineEnd) tAt = -1
      }
      const sentAt = tAt === -1 ? Number.NaN : readNumber(body, tAt + T.length, lastLine)[0]
      count(seq, sentAt, now)
      at = body.indexOf(SEQ, after)
    }
    if (lastLine + 1 < body.length) carry = Buffer.from(body.subarray(lastLine + 1))
  }

  /** Undoes chunked framing: `<hex size>[;ext]\r\n<data>\r\n`, repeated, ending with size 0. */
  const dechunk = (chunk: Buffer, from: number, now: number) => {
    let index = from
    while (index < chunk.length) {
      if (state === DATA) {
        const end = Math.min(chunk.length, index + chunkLeft)
        text(chunk, index, end, now)
        chunkLeft -= end - index
        index = end
        if (chunkLeft === 0) state = DATA_END
        continue
      }
      const byte = chunk[index++] as number
      if (state === SIZE) {
        const digit = hexValue(byte)
        if (digit >= 0) chunkLeft = chunkLeft * 16 + digit
        else if (byte === LF) state = chunkLeft === 0 ? DONE : DATA
        else if (byte !== CR) state = EXTENSION
      } else if (state === EXTENSION) {
        if (byte === LF) state = chunkLeft === 0 ? DONE : DATA
      } else if (state === DATA_END) {
        if (byte === LF) state = SIZE
      } else {
        return // DONE: the response ended
      }
    }
  }

  const readHead = (chunk: Buffer): number => {
    const all: Buffer = head === undefined ? chunk : Buffer.concat([head, chunk])
    const end = all.indexOf(HEAD_END)
    if (end === -1) {
      head = all
      return -1
    }
    const lines = all.subarray(0, end).toString('latin1').toLowerCase()
    status = Number(lines.slice(9, 12))
    chunked = /\r\ntransfer-encoding:[ \t]*chunked/.test(lines)
    head = undefined
    // The head's last byte is in `chunk` (or it would have been found before), so the body
    // starts inside `chunk`: convert the index back to `chunk`'s coordinates.
    return end + HEAD_END.length - (all.length - chunk.length)
  }

  return {
    push(chunk, now) {
      bytes += chunk.length
      lastReceived = now
      let from = 0
      if (head !== undefined) {
        from = readHead(chunk)
        if (from === -1) return
      }
      if (chunked) dechunk(chunk, from, now)
      else if (from < chunk.length) text(chunk, from, chunk.length, now)
    },
    reset() {
      seen = new Uint8Array(tally.expected + 1)
      distinct = 0
      highest = 0
      duplicated = 0
      reordered = 0
      unexpected = 0
    },
    get status() {
      return status
    },
    get distinct() {
      return distinct
    },
    get duplicated() {
      return duplicated
    },
    get reordered() {
      return reordered
    },
    get unexpected() {
      return unexpected
    },
    get bytes() {
      return bytes
    },
    get lastReceived() {
      return lastReceived
    },
  }
}
