// The reading half of an EventSource, for the testing kit: text in, dispatched messages out, as
// the HTML spec's event-stream interpretation says (lines end in CR, LF or CRLF; `data:` lines
// join with LF; `id:` sets the last event id, kept across messages; comments are skipped).
// Kept here rather than taken from @herald/client, so the server package depends on no client.

/** One dispatched message: its name (`message` without an `event:` field), data and last event id. */
export interface SseMessage {
  readonly name: string
  readonly data: string
  readonly lastEventId: string
}

/** What the reader reports besides messages. */
export interface SseReaderHooks {
  onMessage(message: SseMessage): void
  /** A `retry:` field with a whole number. */
  onRetry(ms: number): void
}

/** Feeds text to an SSE reader. */
export type SseReader = (text: string) => void

/** Creates a reader that calls `hooks` as complete lines arrive, whatever the chunking. */
export function createSseReader(hooks: SseReaderHooks): SseReader {
  let pending = ''
  let first = true
  // A CR that ended the last chunk may be the first half of a CRLF: the next LF is not a line.
  let skipLf = false
  let name = ''
  let data: string[] = []
  let lastEventId = ''

  const line = (text: string) => {
    if (text === '') {
      if (data.length > 0) hooks.onMessage({ name: name === '' ? 'message' : name, data: data.join('\n'), lastEventId })
      name = ''
      data = []
      return
    }
    if (text.startsWith(':')) return
    const colon = text.indexOf(':')
    const field = colon === -1 ? text : text.slice(0, colon)
    let value = colon === -1 ? '' : text.slice(colon + 1)
    if (value.startsWith(' ')) value = value.slice(1)
    if (field === 'event') name = value
    else if (field === 'data') data.push(value)
    else if (field === 'id' && !value.includes('\0')) lastEventId = value
    else if (field === 'retry' && /^\d+$/.test(value)) hooks.onRetry(Number(value))
  }

  return (text) => {
    let chunk = text
    if (first && chunk.length > 0) {
      first = false
      if (chunk.startsWith('\uFEFF')) chunk = chunk.slice(1)
    }
    if (skipLf && chunk.startsWith('\n')) chunk = chunk.slice(1)
    skipLf = false
    pending += chunk
    let start = 0
    for (let index = 0; index < pending.length; index++) {
      const char = pending[index]
      if (char !== '\r' && char !== '\n') continue
      line(pending.slice(start, index))
      if (char === '\r') {
        if (index + 1 === pending.length) skipLf = true
        else if (pending[index + 1] === '\n') index += 1
      }
      start = index + 1
    }
    pending = pending.slice(start)
  }
}
