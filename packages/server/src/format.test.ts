import { defineEvents, fingerprintOf } from '@herald/schema'
import { describe, expect, it } from 'vitest'
import * as z from 'zod'
import { formatControl, formatEvent, formatPrelude, HEARTBEAT, jitter, toFrame } from './format.ts'

describe('SSE framing', () => {
  it('writes id, event and one data line for JSON', () => {
    expect(formatEvent('1-0', 'age', '24').toString()).toBe('id: 1-0\nevent: age\ndata: 24\n\n')
  })

  it('writes one topic line per topic of the event, before its data; none for a broadcast', () => {
    expect(formatEvent('1-0', 'message', '{"a":1}', ['room:42', 'user:ada'])).toBe(
      'id: 1-0\nevent: message\ntopic: room:42\ntopic: user:ada\ndata: {"a":1}\n\n',
    )
    expect(formatEvent('1-1', 'note', 'a\nb', ['room:1'])).toBe(
      'id: 1-1\nevent: note\ntopic: room:1\ndata: a\ndata: b\n\n',
    )
    expect(formatEvent('1-2', 'age', '24', [])).toBe('id: 1-2\nevent: age\ndata: 24\n\n')
  })

  it('splits multi-line text into one data line per line', () => {
    expect(formatEvent('1-1', 'note', 'a\n\nb').toString()).toBe('id: 1-1\nevent: note\ndata: a\ndata: \ndata: b\n\n')
  })

  it('keeps frames as UTF-8 bytes of their own, outside the shared pool', () => {
    const frame = toFrame(formatEvent('1-2', 'name', '"年龄 €"'))
    expect(frame.toString('utf8')).toBe('id: 1-2\nevent: name\ndata: "年龄 €"\n\n')
    expect(frame.length).toBe(Buffer.byteLength('id: 1-2\nevent: name\ndata: "年龄 €"\n\n'))
    expect(frame.buffer.byteLength).toBe(frame.length)
  })

  it('opens with a comment, the retry hint and the heartbeat interval; heartbeats are id-less events', () => {
    expect(formatPrelude(1500, 15000).toString()).toBe(
      ': herald\nretry: 1500\nevent: herald:hello\ndata: {"heartbeatMs":15000,"retryMs":1500}\n\n',
    )
    // A new stream's hello carries the channel's newest id, so the client can resume from there.
    expect(formatPrelude(1500, 0, { id: '7-0' }).toString()).toBe(
      ': herald\nretry: 1500\nid: 7-0\nevent: herald:hello\ndata: {"heartbeatMs":0,"retryMs":1500}\n\n',
    )
    // No id: field, so a heartbeat never moves the client's last event id.
    expect(HEARTBEAT.toString()).toBe('event: herald:ping\ndata:\n\n')
  })

  it("carries the contract's fingerprint last in the hello, after the topics", () => {
    const schema = { fingerprint: '0123456789abcdef', events: { age: 'aaaaaaaaaaaaaaaa' } }
    expect(formatPrelude(1500, 0, { topics: ['room:1'], schema }).toString()).toBe(
      ': herald\nretry: 1500\nevent: herald:hello\ndata: {"heartbeatMs":0,"retryMs":1500,"topics":["room:1"],' +
        '"schema":{"fingerprint":"0123456789abcdef","events":{"age":"aaaaaaaaaaaaaaaa"}}}\n\n',
    )
  })

  it("keeps a 20-event contract's hello small: about 35 bytes an event", () => {
    const names = Array.from({ length: 20 }, (_, index) => `event.number${index}`) // 12-14 characters
    const events = defineEvents(
      Object.fromEntries(names.map((name) => [name, z.object({ id: z.string(), at: z.date() })])),
    )
    const bare = formatPrelude(2345, 15000, { id: 'k3Xq9TzA-1767322800000-0' }).length
    const hello = formatPrelude(2345, 15000, { id: 'k3Xq9TzA-1767322800000-0', schema: fingerprintOf(events) }).length
    expect(bare).toBe(114)
    expect(hello - bare).toBeLessThanOrEqual(20 * 38 + 40) // measured 765: 16 hex digits an event, and one for all
  })

  it('keeps hostile control data on one line', () => {
    const block = formatControl('herald:gap', { lastEventId: 'x\r\nevent: admin\n\ndata: 1' }).toString()
    expect(block.split('\n').filter(Boolean)).toHaveLength(2)
    expect(block).toBe('event: herald:gap\ndata: {"lastEventId":"x\\r\\nevent: admin\\n\\ndata: 1"}\n\n')
  })

  it('jitters delays within [ms, 2ms)', () => {
    for (let index = 0; index < 100; index++) {
      const delay = jitter(1000)
      expect(delay).toBeGreaterThanOrEqual(1000)
      expect(delay).toBeLessThanOrEqual(2000)
    }
  })
})
