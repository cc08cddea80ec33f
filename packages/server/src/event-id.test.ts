import { describe, expect, it } from 'vitest'
import { compareEventIds, createIdGenerator, type EventId, parseEventId } from './event-id.ts'

const id = (value: string) => value as EventId

describe('event ids', () => {
  it('increase strictly even when the clock stalls or steps back', () => {
    const times = [1000, 1000, 999, 1001, 500]
    const next = createIdGenerator(() => times.shift() ?? 0)
    const ids = Array.from({ length: 5 }, next)
    expect(ids).toEqual(['1000-0', '1000-1', '1000-2', '1001-0', '1001-1'])
    for (let index = 1; index < ids.length; index++) {
      expect(compareEventIds(ids[index - 1] as EventId, ids[index] as EventId)).toBeLessThan(0)
    }
  })

  it('compare numerically, beyond 2^53', () => {
    expect(compareEventIds(id('999-0'), id('1000-0'))).toBeLessThan(0)
    expect(compareEventIds(id('5-10'), id('5-9'))).toBeGreaterThan(0)
    expect(compareEventIds(id('7-3'), id('7-3'))).toBe(0)
    expect(compareEventIds(id('1-9007199254740993'), id('1-9007199254740992'))).toBeGreaterThan(0)
  })

  it('parse only well-formed client ids', () => {
    expect(parseEventId('1700000000000-0')).toBe('1700000000000-0')
    for (const bad of [
      '',
      '42',
      '01-1',
      '1-01',
      '-1',
      '1-',
      'a-b',
      '1-2-3',
      ' 1-2',
      '1-2\n',
      `${'9'.repeat(21)}-0`,
      'x'.repeat(8192),
      7,
      null,
      undefined,
    ]) {
      expect(parseEventId(bad)).toBeUndefined()
    }
  })
})
