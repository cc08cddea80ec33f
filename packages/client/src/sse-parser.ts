/**
 * The WHATWG "event stream interpretation" over text that is already decoded. The owner decodes
 * bytes with `new TextDecoder('utf-8')` in streaming mode, which also drops the one leading BOM the
 * spec allows; the parser does not strip one itself, so a BOM is never removed twice.
 * @see https://html.spec.whatwg.org/multipage/server-sent-events.html#event-stream-interpretation
 */

const LF = 10
const SPACE = 32
/** Longest `retry` honoured: `setTimeout` treats anything larger as 1 ms. */
const MAX_RETRY_MS = 2 ** 31 - 1
/** Default line and event limit: far above any real event, far below V8's longest string (~512 MiB). */
export const DEFAULT_MAX_LENGTH = 64 * 1024 * 1024

/** One dispatched event. */
export interface SseEvent {
  /** The `event:` field, or `'message'` when the block had none or an empty one. */
  readonly type: string
  /** The block's `data:` values joined with LF. */
  readonly data: string
  /** The last event ID when the event was dispatched; it carries over to later events. */
  readonly lastEventId: string
  /**
   * The block's `topic:` values, in order: Herald writes one per topic an event was sent to.
   * Absent when the block had none (a broadcast). Not a WHATWG field: a native EventSource ignores it.
   */
  readonly topics?: readonly string[]
}

/** Callbacks and memory limits for `createSseParser`; lengths count UTF-16 code units. */
export interface SseParserOptions {
  /** Receives each block that has at least one `data` line. */
  onEvent(event: SseEvent): void
  /** Receives each `retry:` value made only of ASCII digits, in milliseconds, up to 2^31-1. */
  onRetry(ms: number): void
  /** Receives each comment line without its colon and one leading space. */
  onComment?: ((text: string) => void) | undefined
  /** Told when a block is dropped for breaking a limit; parsing goes on with the next block. */
  onError?: ((message: string) => void) | undefined
  /**
   * Longest line kept; a longer one is dropped, with the block it belongs to, without buffering
   * more of it. The SSE standard sets no limit and browsers read lines of many MiB (a large JSON
   * snapshot), so the default only stops an endless line. @default 67108864 (64 MiB)
   */
  maxLineLength?: number | undefined
  /** Most data one event may collect; a block that collects more is dropped. @default 67108864 (64 MiB) */
  maxEventLength?: number | undefined
}

/** A running parser: feed it text as it arrives, reset it when a new connection starts. */
export interface SseParser {
  /** Parses the next piece of the stream; a piece may end anywhere, even between CR and LF. */
  feed(text: string): void
  /** Drops the partial line and block (a new connection starts clean) but keeps `lastEventId`. From inside a handler it also drops the rest of the text being fed. */
  reset(): void
  /** The ID committed by the last complete block, id-only blocks included; set it to resume a stream. */
  lastEventId: string
}

/** Creates a parser that follows the WHATWG rules exactly, with bounded memory. */
export function createSseParser(options: SseParserOptions): SseParser {
  const { onEvent, onRetry, onComment, onError } = options
  const maxLine = limit(options.maxLineLength, DEFAULT_MAX_LENGTH, 'maxLineLength')
  const maxEvent = limit(options.maxEventLength, DEFAULT_MAX_LENGTH, 'maxEventLength')

  let partial = '' // the unfinished line from earlier pieces
  let afterCR = false // the previous piece ended in CR, so a leading LF is the rest of that CRLF
  let dropLine = false // the current line broke `maxLineLength`: skip to its end
  let dropBlock = false // part of the current block was dropped: skip to the blank line
  let data = ''
  let dataLines = 0 // the spec's "data buffer is not empty" is `dataLines > 0`: `data:` alone counts
  let eventType = ''
  let topics: string[] | undefined
  let topicChars = 0 // the length of the block's topics so far, each counted with a separator
  let idBuffer = '' // the spec's last event ID buffer, committed to `lastEventId` at the blank line
  let lastEventId = ''
  let generation = 0 // bumped by reset() so a feed() in progress stops

  function clearBlock(): void {
    data = ''
    dataLines = 0
    eventType = ''
    topics = undefined
    topicChars = 0
  }

  // A dropped block leaves no trace, not even its `id`, as if it had never been sent.
  function dropCurrentBlock(message: string): void {
    clearBlock()
    idBuffer = lastEventId
    dropBlock = true
    onError?.(message)
  }

  function dispatch(): void {
    if (dropBlock) {
      dropBlock = false
      return
    }
    lastEventId = idBuffer
    if (dataLines === 0) {
      eventType = ''
      topics = undefined
      topicChars = 0
      return
    }
    const type = eventType === '' ? 'message' : eventType
    const event: SseEvent = topics === undefined ? { type, data, lastEventId } : { type, data, lastEventId, topics }
    clearBlock()
    onEvent(event)
  }

  function processLine(line: string): void {
    if (line === '') {
      dispatch()
      return
    }
    if (dropBlock) return
    const colon = line.indexOf(':')
    if (colon === 0) {
      onComment?.(line.slice(line.charCodeAt(1) === SPACE ? 2 : 1))
      return
    }
    const field = colon === -1 ? line : line.slice(0, colon)
    const value = colon === -1 ? '' : line.slice(line.charCodeAt(colon + 1) === SPACE ? colon + 2 : colon + 1)
    if (field === 'data') {
      if ((dataLines === 0 ? 0 : data.length + 1) + value.length > maxEvent) {
        dropCurrentBlock(`event data longer than ${maxEvent} characters dropped`)
        return
      }
      data = dataLines === 0 ? value : `${data}\n${value}`
      dataLines++
    } else if (field === 'event') {
      eventType = value
    } else if (field === 'topic') {
      // Bounded like data: a block of endless topic lines is dropped whole.
      topicChars += value.length + 1
      if (topicChars > maxEvent) {
        dropCurrentBlock(`event topics longer than ${maxEvent} characters dropped`)
        return
      }
      if (topics === undefined) topics = [value]
      else topics.push(value)
    } else if (field === 'id') {
      if (!value.includes('\0')) idBuffer = value
    } else if (field === 'retry') {
      const ms = parseRetry(value)
      if (ms !== undefined) onRetry(ms)
    }
  }

  // Length is checked before concatenating, so an endless line never holds more than `maxLine`.
  function append(piece: string): void {
    if (dropLine) return
    if (partial.length + piece.length > maxLine) {
      overflow()
      return
    }
    partial += piece
  }

  function endLine(piece: string): void {
    if (dropLine) {
      dropLine = false
      return
    }
    if (partial.length + piece.length > maxLine) {
      overflow()
      dropLine = false
      return
    }
    const line = partial === '' ? piece : partial + piece
    partial = ''
    processLine(line)
  }

  function overflow(): void {
    partial = ''
    dropLine = true
    dropCurrentBlock(`line longer than ${maxLine} characters dropped with its event`)
  }

  function feed(text: string): void {
    // An empty piece (a decoder holding half a character) must not clear `afterCR`.
    if (text === '') return
    const current = generation
    const end = text.length
    let pos = 0
    if (afterCR) {
      afterCR = false
      if (text.charCodeAt(0) === LF) pos = 1
    }
    // indexOf scans natively; each hit is reused until passed (and a miss stays a miss), so a
    // piece with many LFs and no CR is scanned once, not once per line.
    let cr = text.indexOf('\r', pos)
    let lf = text.indexOf('\n', pos)
    while (pos < end) {
      if (cr !== -1 && cr < pos) cr = text.indexOf('\r', pos)
      if (lf !== -1 && lf < pos) lf = text.indexOf('\n', pos)
      const eol = cr === -1 ? lf : lf === -1 ? cr : Math.min(cr, lf)
      if (eol === -1) {
        append(pos === 0 ? text : text.slice(pos))
        return
      }
      const piece = text.slice(pos, eol)
      if (eol !== cr) pos = eol + 1
      else if (eol + 1 === end) {
        // A CR ends the line now: waiting for a possible LF would stall the event until the next
        // byte, which may be a heartbeat away.
        afterCR = true
        pos = end
      } else pos = text.charCodeAt(eol + 1) === LF ? eol + 2 : eol + 1
      endLine(piece)
      if (current !== generation) return
    }
  }

  function reset(): void {
    generation++
    partial = ''
    afterCR = false
    dropLine = false
    dropBlock = false
    clearBlock()
    idBuffer = lastEventId
  }

  return {
    feed,
    reset,
    get lastEventId() {
      return lastEventId
    },
    set lastEventId(value: string) {
      lastEventId = value
      idBuffer = value
    },
  }
}

// Only ASCII digits count. Leading zeros are ignored before the length cap, so a line of a billion
// digits is rejected after one linear scan instead of becoming Infinity.
function parseRetry(value: string): number | undefined {
  if (!/^[0-9]+$/.test(value)) return undefined
  const digits = value.replace(/^0+(?=[0-9])/, '')
  if (digits.length > 10) return undefined
  const ms = Number(digits)
  return ms <= MAX_RETRY_MS ? ms : undefined
}

function limit(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback
  if (!Number.isSafeInteger(value) || value < 1) throw new RangeError(`${name} must be a positive integer`)
  return value
}
