import { describe, expect, it } from 'vitest'
import type { StoredEvent } from './engine.ts'
import type { EventId } from './event-id.ts'
import { createHistory } from './history.ts'

const event = (n: number): StoredEvent => ({ id: `100-${n}` as EventId, name: 'n', data: String(n) })
const ids = (events: readonly StoredEvent[]) => events.map((stored) => stored.data)

describe('history', () => {
  it('replays the events after a position', () => {
    const history = createHistory(5)
    for (let n = 0; n < 4; n++) history.push(event(n))
    expect(history.after(event(1).id)).toEqual({ events: [event(2), event(3)], gap: false })
    expect(history.after(event(3).id)).toEqual({ events: [], gap: false })
  })

  it('keeps only the newest events once full, in order', () => {
    const history = createHistory(3)
    for (let n = 0; n < 10; n++) history.push(event(n))
    expect(history.size).toBe(3)
    expect(ids(history.after(event(7).id).events)).toEqual(['8', '9'])
    // The newest evicted id is the one just before the ring: nothing was lost.
    expect(history.after(event(6).id)).toEqual({ events: [event(7), event(8), event(9)], gap: false })
  })

  it('reports a gap, and nothing, for positions older than the history or than its origin', () => {
    const history = createHistory(3)
    for (let n = 0; n < 10; n++) history.push(event(n))
    expect(history.after(event(2).id)).toEqual({ events: [], gap: true })
    // A position after the newest is no gap here: the engine turns away ids ahead of its log.
    expect(history.after('100-50' as EventId)).toEqual({ events: [], gap: false })
    expect(history.after('99-7' as EventId).gap).toBe(true)
    expect(createHistory(3, '5-0' as EventId).after('1-0' as EventId).gap).toBe(true) // before its origin
  })

  it('keeps nothing with capacity 0 but still knows the last id', () => {
    const history = createHistory(0)
    history.push(event(0))
    history.push(event(1))
    expect(history.after(event(1).id)).toEqual({ events: [], gap: false })
    expect(history.after(event(0).id).gap).toBe(true)
  })
})
