import { describe, expect, it } from 'vitest'
import { formatEvent, formatPrelude, HEARTBEAT } from './format.ts'

describe('SSE framing', () => {
  it('writes id, event and one data line for JSON', () => {
    expect(formatEvent('1-0', 'age', '24').toString()).toBe('id: 1-0\nevent: age\ndata: 24\n\n')
  })

  it('splits multi-line text into one data line per line', () => {
    expect(formatEvent('1-1', 'note', 'a\n\nb').toString()).toBe('id: 1-1\nevent: note\ndata: a\ndata: \ndata: b\n\n')
  })

  it('writes UTF-8 bytes', () => {
    const frame = formatEvent('1-2', 'name', '"年龄 €"')
    expect(frame.toString('utf8')).toContain('年龄 €')
    expect(frame.length).toBe(Buffer.byteLength('id: 1-2\nevent: name\ndata: "年龄 €"\n\n'))
  })

  it('opens with a comment and the retry hint, and heartbeats are comments', () => {
    expect(formatPrelude(1500).toString()).toBe(': herald\nretry: 1500\n\n')
    expect(HEARTBEAT.toString()).toBe(':\n\n')
  })
})
