import { describe, expect, it } from 'vitest'
import { createSseReader, type SseMessage } from './testing-sse-reader.ts'

function read(...chunks: string[]) {
  const messages: SseMessage[] = []
  const retries: number[] = []
  const feed = createSseReader({ onMessage: (message) => messages.push(message), onRetry: (ms) => retries.push(ms) })
  for (const chunk of chunks) feed(chunk)
  return { messages, retries }
}

describe('the testing kit’s SSE reader', () => {
  it('dispatches on a blank line, joins data lines, keeps the last id, skips comments', () => {
    const { messages, retries } = read(
      '\uFEFF: herald\nretry: 1500\nid: 7\nevent: herald:hello\ndata: {}\n\n',
      'event: note\ndata: two\ndata:lines\n\ndata: plain\n\nid\nevent: x\n\n',
    )
    expect(messages).toEqual([
      { name: 'herald:hello', data: '{}', lastEventId: '7' },
      { name: 'note', data: 'two\nlines', lastEventId: '7' },
      { name: 'message', data: 'plain', lastEventId: '7' },
    ])
    expect(retries).toEqual([1500])
  })

  it('reads CR, LF and CRLF alike, whatever the chunking, and an id with NUL is ignored', () => {
    const text = 'id: 1\r\nevent: a\r\ndata: x\r\n\r\nid: 2\0\revent: b\rdata: y\r\r'
    const whole = read(text).messages
    expect(whole).toEqual([
      { name: 'a', data: 'x', lastEventId: '1' },
      { name: 'b', data: 'y', lastEventId: '1' },
    ])
    for (let cut = 1; cut < text.length; cut++) {
      expect(read(text.slice(0, cut), text.slice(cut)).messages, `cut at ${cut}`).toEqual(whole)
    }
    expect(read('retry: 1x\nretry: -1\n').retries).toEqual([])
  })
})
