import { describe, expect, it } from 'vitest'
import type { StoredEvent } from './engine.ts'
import type { EventId } from './event-id.ts'
import { createFrameCache } from './frame-cache.ts'

const event = (id: string, data: string): StoredEvent => ({ id: id as EventId, name: 'n', data })

describe('frame cache', () => {
  it('encodes an event once: the same bytes for every replay', () => {
    const frames = createFrameCache()
    const one = event('a-1-0', '1')
    const frame = frames.frameOf(one)
    expect(frame.toString()).toBe('id: a-1-0\nevent: n\ndata: 1\n\n')
    expect(frames.frameOf(one)).toBe(frame)
    // An equal event that is another object is another entry (events are kept by identity).
    expect(frames.frameOf(event('a-1-0', '1'))).not.toBe(frame)
    expect(frames.textOf(one)).toBe('id: a-1-0\nevent: n\ndata: 1\n\n')
  })

  it('keeps each frame in memory of its own, not a slice of the shared pool', () => {
    const frame = createFrameCache().frameOf(event('a-1-1', '"x"'))
    expect(frame.buffer.byteLength).toBe(frame.length)
  })
})
