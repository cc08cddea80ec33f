import { describe, expect, it } from 'vitest'
import type { StoredEvent } from './engine.ts'
import type { EventId } from './event-id.ts'
import { mergeEvents } from './merge-events.ts'

const event = (ms: number, seq = 0): StoredEvent => ({ id: `e1-${ms}-${seq}` as EventId, name: 'n', data: `${ms}` })

describe('mergeEvents', () => {
  it('merges lists in id order into one, numbers compared as numbers', () => {
    const broadcasts = [event(1), event(9), event(10, 1)]
    const room = [event(2), event(10), event(100)]
    expect(mergeEvents([broadcasts, room]).map((each) => each.id)).toEqual([
      'e1-1-0',
      'e1-2-0',
      'e1-9-0',
      'e1-10-0',
      'e1-10-1',
      'e1-100-0',
    ])
  })

  it('keeps an event sent to several topics once', () => {
    const shared = event(5)
    expect(mergeEvents([[event(1), shared], [shared, event(7)], [shared]]).map((each) => each.id)).toEqual([
      'e1-1-0',
      'e1-5-0',
      'e1-7-0',
    ])
  })

  it('returns a copy of a lone list, and nothing for none', () => {
    const list = [event(1)]
    const merged = mergeEvents([[], list, []])
    expect(merged).toEqual(list)
    expect(merged).not.toBe(list)
    expect(mergeEvents([])).toEqual([])
  })
})
