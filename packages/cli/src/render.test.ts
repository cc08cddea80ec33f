import { describe, expect, it } from 'vitest'
import { createPaint, jsonLine, prettyLine, shownUrl, statusLine, wantsColor } from './render.ts'

const at = new Date(2026, 0, 2, 3, 4, 5, 6)
const plain = createPaint(false)

describe('jsonLine', () => {
  it('writes Dates as ISO strings, bigints as decimal strings, Maps as pairs and Sets as arrays', () => {
    const payload = {
      at: new Date('2024-05-01T10:00:00Z'),
      big: 2n ** 70n,
      map: new Map([[1, 'a']]),
      set: new Set(['x']),
    }
    expect(JSON.parse(jsonLine({ name: 'n', id: '7', payload, at }))).toEqual({
      name: 'n',
      id: '7',
      payload: { at: '2024-05-01T10:00:00.000Z', big: '1180591620717411303424', map: [[1, 'a']], set: ['x'] },
    })
  })
})

describe('prettyLine', () => {
  it('shows the time, the padded name, the id and the payload on one line', () => {
    const payload = { text: 'x'.repeat(100), when: new Date('2024-05-01T10:00:00Z'), n: 1n }
    expect(prettyLine({ name: 'age', id: '7', payload, at }, plain, false, 5)).toBe(
      `03:04:05.006 age   #7 { text: '${'x'.repeat(100)}', when: 2024-05-01T10:00:00.000Z, n: 1n }`,
    )
    expect(prettyLine({ name: 'age', id: '', payload: 1, at }, plain, false, 3)).toBe('03:04:05.006 age 1')
  })
})

describe('the connection line', () => {
  it('masks credentials in the URL', () => {
    expect(shownUrl('https://user:pw@app.example/events?token=abc&room=1#x')).toBe(
      'https://***@app.example/events?token=***&room=***#***',
    )
    expect(shownUrl('http://localhost:3000/events')).toBe('http://localhost:3000/events')
  })

  it('shows the state, the URL, the last id and the count', () => {
    expect(statusLine('open', 'http://h/e', '', 0, plain)).toBe('● open http://h/e')
    expect(statusLine('reconnecting', 'http://h/e', '41', 1, plain)).toBe(
      '◌ reconnecting http://h/e · last id 41 · 1 event',
    )
  })
})

describe('wantsColor', () => {
  it('follows --no-color, then NO_COLOR, then FORCE_COLOR, then the terminal', () => {
    const tty = { isTTY: true }
    const pipe = { isTTY: false }
    expect(wantsColor(true, tty, {})).toBe(true)
    expect(wantsColor(true, pipe, {})).toBe(false)
    expect(wantsColor(false, tty, {})).toBe(false)
    expect(wantsColor(true, tty, { NO_COLOR: '1' })).toBe(false)
    expect(wantsColor(true, tty, { NO_COLOR: '' })).toBe(true)
    expect(wantsColor(true, pipe, { FORCE_COLOR: '1' })).toBe(true)
    expect(wantsColor(true, tty, { FORCE_COLOR: '0' })).toBe(false)
    expect(wantsColor(true, pipe, { FORCE_COLOR: '1', NO_COLOR: '1' })).toBe(false)
  })
})
