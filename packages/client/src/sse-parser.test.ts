import { describe, expect, it } from 'vitest'
import { createSseParser, type SseParser, type SseParserOptions } from './sse-parser.ts'

type Entry = readonly ['event', string, string, string] | readonly ['retry', number] | readonly [string, string]

function setup(options: Partial<SseParserOptions> = {}): { parser: SseParser; log: Entry[] } {
  const log: Entry[] = []
  const parser = createSseParser({
    onEvent: (e) => log.push(['event', e.type, e.data, e.lastEventId]),
    onRetry: (ms) => log.push(['retry', ms]),
    onComment: (text) => log.push(['comment', text]),
    onError: (message) => log.push(['error', message]),
    ...options,
  })
  return { parser, log }
}

function parse(...pieces: string[]): Entry[] {
  const { parser, log } = setup()
  for (const piece of pieces) parser.feed(piece)
  return log
}

const ev = (data: string, lastEventId = '', type = 'message'): Entry => ['event', type, data, lastEventId]

describe('line endings', () => {
  it('treats a lone CR as a line end and dispatches without waiting for the next byte', () => {
    expect(parse('event: a\rdata: x\r\r')).toEqual([ev('x', '', 'a')])
  })

  it('swallows the LF of a CRLF split across pieces', () => {
    expect(parse('data: x\r', '\ndata: y\r', '\n\r', '\n')).toEqual([ev('x\ny')])
  })

  it('keeps the pending CR across an empty piece', () => {
    expect(parse('data: x\r', '', '\ndata: y\n\n')).toEqual([ev('x\ny')])
  })

  it('mixes CRLF, LF and CR in one stream', () => {
    expect(parse('data: a\r\n\r\ndata: b\n\ndata: c\r\rdata: d\r\n\n')).toEqual([ev('a'), ev('b'), ev('c'), ev('d')])
  })

  it('treats CR LF LF as two line ends and LF CR as two', () => {
    expect(parse('data: a\r\n\ndata: b\n\r')).toEqual([ev('a'), ev('b')])
  })
})

describe('fields', () => {
  it('strips one space after the colon, and a line without a colon is a field with an empty value', () => {
    expect(parse('data:x\n\ndata:  x\n\ndata\n\ndata: a\ndata\ndata: b\n\ndata: a:b\n\n')).toEqual([
      ev('x'),
      ev(' x'),
      ev(''),
      ev('a\n\nb'),
      ev('a:b'),
    ])
  })

  it('removes only the final LF of the data buffer', () => {
    expect(parse('data: a\ndata:\n\n')).toEqual([ev('a\n')])
  })

  it('reports comments without their colon and one space, and never dispatches them', () => {
    expect(parse(': ping\n\n:\n\n:data: no\n\n:  two\ndata: after\n\n')).toEqual([
      ['comment', 'ping'],
      ['comment', ''],
      ['comment', 'data: no'],
      ['comment', ' two'],
      ev('after'),
    ])
  })

  it('ignores unknown and wrongly cased field names', () => {
    expect(parse('foo: bar\nData: no\nEVENT: x\ndata: ok\n\n')).toEqual([ev('ok')])
  })

  it('does not dispatch a block without data, and its event type does not leak', () => {
    expect(parse('event: a\n\ndata: b\n\nevent: a\ndata: c\n\ndata: d\n\nevent:\ndata: e\n\n')).toEqual([
      ev('b'),
      ev('c', '', 'a'),
      ev('d'),
      ev('e'),
    ])
  })

  it('keeps NUL and non-ASCII text in data', () => {
    expect(parse('data: a\0b € 😀\n\n')).toEqual([ev('a\0b € 😀')])
  })
})

describe('last event ID', () => {
  it('persists to later events without an id', () => {
    expect(parse('id: 7\ndata: a\n\ndata: b\n\n')).toEqual([ev('a', '7'), ev('b', '7')])
  })

  it('is updated by an id-only block, which dispatches nothing', () => {
    const { parser, log } = setup()
    parser.feed('id: 9\n\n')
    expect(log).toEqual([])
    expect(parser.lastEventId).toBe('9')
    parser.feed('data: c\n\n')
    expect(log).toEqual([ev('c', '9')])
  })

  it('is cleared by an empty id, alone or beside data', () => {
    expect(parse('id: 5\ndata: d\n\nid:\n\ndata: e\n\nid: 6\n\nid\ndata: f\n\n')).toEqual([
      ev('d', '5'),
      ev('e', ''),
      ev('f', ''),
    ])
  })

  it('ignores an id containing NUL', () => {
    expect(parse('id: 3\ndata: a\n\nid: x\0y\ndata: b\n\n')).toEqual([ev('a', '3'), ev('b', '3')])
  })

  it('keeps the space after the first one', () => {
    expect(parse('id:  5\ndata: a\n\n')).toEqual([ev('a', ' 5')])
  })

  it('commits an id only at the blank line; reset() drops a pending one', () => {
    const { parser, log } = setup()
    parser.feed('id: 1\ndata: a\n\nid: 2\ndata: partial\n')
    expect(parser.lastEventId).toBe('1')
    parser.reset()
    parser.feed('data: b\n\n')
    expect(log).toEqual([ev('a', '1'), ev('b', '1')])
  })

  it('can be set by the owner to resume a stream', () => {
    const { parser, log } = setup()
    parser.lastEventId = '41'
    parser.feed('data: a\n\n')
    expect(log).toEqual([ev('a', '41')])
  })
})

describe('retry', () => {
  it('accepts ASCII digits only, up to 2^31-1 ms', () => {
    const values = ['50', '0', '000000000000070', '2147483647', '5x', ' 20', '-1', '+5', '1e1', '2.5', '', '٣']
    const more = ['12345678901', '2147483648', '9'.repeat(400)]
    expect(parse([...values, ...more].map((v) => `retry: ${v}\n`).join(''))).toEqual([
      ['retry', 50],
      ['retry', 0],
      ['retry', 70],
      ['retry', 2147483647],
    ])
  })
})

describe('reset()', () => {
  it('drops the partial line and block', () => {
    const { parser, log } = setup()
    parser.feed('event: a\ndata: x\ndata: y')
    parser.reset()
    parser.feed('data: z\n\n')
    expect(log).toEqual([ev('z')])
  })

  it('called from a handler drops the rest of the text being fed', () => {
    const log: string[] = []
    const parser = createSseParser({
      onEvent: (e) => {
        log.push(e.data)
        parser.reset()
      },
      onRetry: () => {},
    })
    parser.feed('data: a\n\ndata: b\n\n')
    expect(log).toEqual(['a'])
    parser.feed('data: c\n\n')
    expect(log).toEqual(['a', 'c'])
  })
})

describe('limits', () => {
  it('drops an over-long line, fed in pieces, with its block and its id, then carries on', () => {
    const { parser, log } = setup({ maxLineLength: 16 })
    parser.feed('id: 1\ndata: ok\n\nid: 2\ndata: a\n')
    for (let i = 0; i < 10; i++) parser.feed('data: 0123456789')
    parser.feed('\ndata: dropped\n\ndata: 0123456789\n\n')
    expect(log).toEqual([
      ev('ok', '1'),
      ['error', 'line longer than 16 characters dropped with its event'],
      ev('0123456789', '1'),
    ])
  })

  it('keeps a 5 MiB line by default, as browsers do', () => {
    const { parser, log } = setup()
    const big = 'x'.repeat(5 * 1_048_576)
    parser.feed('data: ')
    for (let i = 0; i < 5; i++) parser.feed(big.slice(i * 1_048_576, (i + 1) * 1_048_576))
    parser.feed('\n\n')
    expect(log).toEqual([ev(big)])
  })

  it('drops a line over the 64 MiB default with no newline, fed in 1 MiB pieces, reporting it once', () => {
    const { parser, log } = setup()
    const mib = 'x'.repeat(1_048_576)
    parser.feed('data: ')
    for (let i = 0; i < 64; i++) parser.feed(mib)
    parser.feed(`${mib}\n\nretry: ${'9'.repeat(2_000_000)}\n\ndata: after\n\n`)
    expect(log).toEqual([
      ['error', `line longer than ${64 * 1_048_576} characters dropped with its event`],
      ev('after'),
    ])
  })

  it('drops a block whose data outgrows maxEventLength', () => {
    const { parser, log } = setup({ maxEventLength: 10 })
    parser.feed('data: 12345\ndata: 1234\n\ndata: 12345\ndata: 12345\ndata: x\n\ndata: ok\n\n')
    expect(log).toEqual([ev('12345\n1234'), ['error', 'event data longer than 10 characters dropped'], ev('ok')])
  })

  it('rejects a limit that is not a positive integer', () => {
    expect(() => setup({ maxLineLength: 0 })).toThrow(RangeError)
    expect(() => setup({ maxEventLength: Number.POSITIVE_INFINITY })).toThrow(RangeError)
  })
})

describe('chunking', () => {
  const inputs = [
    'event: a\rdata: x\r\r',
    'data: x\r\ndata: y\r\n\r\n:c\r\n\n',
    'id: 7\ndata: a\n\nid: 9\n\ndata: b\r\rid:\rdata: c\r\n\r\n',
    'retry: 150\ndata: a\r\n\ndata:b\rdata\n\nid: x\0y\ndata: z\n\n',
    'data: 😀€\r\nevent: e\r\n\r\n:\r\rdata: tail',
  ]

  it.each(inputs)('gives the same output for every one- and two-point split of %j', (input) => {
    const whole = parse(input)
    expect(whole).not.toEqual([])
    for (let i = 0; i <= input.length; i++) {
      expect(parse(input.slice(0, i), input.slice(i))).toEqual(whole)
      for (let j = i; j <= input.length; j++) {
        expect(parse(input.slice(0, i), input.slice(i, j), input.slice(j))).toEqual(whole)
      }
    }
    expect(parse(...input)).toEqual(whole)
  })
})

describe("Herald's topic lines", () => {
  const topicsOf = (...pieces: string[]) => {
    const seen: (readonly string[] | undefined)[] = []
    const { parser } = setup({ onEvent: (event) => seen.push(event.topics) })
    for (const piece of pieces) parser.feed(piece)
    return seen
  }

  it('collects the topic lines of a block, in order, and none for a block without', () => {
    expect(
      topicsOf(
        'id: e-1-0\nevent: m\ntopic: room:42\ntopic: user:ada\ndata: 1\n\n',
        'data: 2\n\ntopic: room:1\ndata: 3\n\n',
      ),
    ).toEqual([['room:42', 'user:ada'], undefined, ['room:1']])
  })

  it('forgets the topics of a block without data, and of a dropped block', () => {
    expect(topicsOf('topic: a\n\ndata: 1\n\n')).toEqual([undefined])
    const log: Entry[] = []
    const { parser } = setup({
      maxEventLength: 10,
      onEvent: (event) => log.push(['event', event.type, event.data, String(event.topics)]),
      onError: (message) => log.push(['error', message]),
    })
    parser.feed('topic: 12345\ntopic: 67890\ndata: x\n\ntopic: ok\ndata: y\n\n')
    expect(log).toEqual([
      ['error', 'event topics longer than 10 characters dropped'],
      ['event', 'message', 'y', 'ok'],
    ])
  })
})
