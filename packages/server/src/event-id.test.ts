import { describe, expect, it } from 'vitest'
import {
  compareEventIds,
  createEpoch,
  createIdGenerator,
  type EventId,
  epochOf,
  isEpoch,
  parseEventId,
} from './event-id.ts'

const id = (value: string) => value as EventId

describe('event ids', () => {
  it('increase strictly even when the clock stalls or steps back, and carry their epoch', () => {
    const times = [1000, 1000, 999, 1001, 500]
    const next = createIdGenerator('Ep0ch', () => times.shift() ?? 0)
    const ids = Array.from({ length: 5 }, next)
    expect(ids).toEqual(['Ep0ch-1000-0', 'Ep0ch-1000-1', 'Ep0ch-1000-2', 'Ep0ch-1001-0', 'Ep0ch-1001-1'])
    for (let index = 1; index < ids.length; index++) {
      expect(compareEventIds(ids[index - 1] as EventId, ids[index] as EventId)).toBeLessThan(0)
    }
  })

  it('compare numerically by position, beyond 2^53, with or without an epoch', () => {
    expect(compareEventIds(id('999-0'), id('1000-0'))).toBeLessThan(0)
    expect(compareEventIds(id('5-10'), id('5-9'))).toBeGreaterThan(0)
    expect(compareEventIds(id('7-3'), id('7-3'))).toBe(0)
    expect(compareEventIds(id('1-9007199254740993'), id('1-9007199254740992'))).toBeGreaterThan(0)
    expect(compareEventIds(id('zz-999-0'), id('a-1000-0'))).toBeLessThan(0)
    expect(compareEventIds(id('E1-5-10'), id('E1-5-9'))).toBeGreaterThan(0)
    expect(compareEventIds(id('E1-1-9007199254740993'), id('E1-1-9007199254740992'))).toBeGreaterThan(0)
    expect(compareEventIds(id('E1-7-3'), id('E1-7-3'))).toBe(0)
    // The same position in two epochs is two ids: never equal, in a fixed order.
    expect(compareEventIds(id('A-7-3'), id('B-7-3'))).toBeLessThan(0)
    expect(compareEventIds(id('7-3'), id('B-7-3'))).toBeLessThan(0)
  })

  it('parse only well-formed client ids, with an epoch or without one', () => {
    expect(parseEventId('1700000000000-0')).toBe('1700000000000-0')
    expect(parseEventId('aZ09xY12-1700000000000-0')).toBe('aZ09xY12-1700000000000-0')
    expect(parseEventId('1-2-3')).toBe('1-2-3') // epoch '1'
    const longest = `${'z'.repeat(16)}-${'9'.repeat(20)}-${'9'.repeat(20)}`
    expect(parseEventId(longest)).toBe(longest)
    for (const bad of [
      '',
      '42',
      '01-1',
      '1-01',
      '-1',
      '1-',
      'a-b',
      '1-2-3-4',
      '-1-2',
      'é-1-2',
      'a_b-1-2',
      `${'z'.repeat(17)}-1-2`,
      'E-01-2',
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

  it('epochs: random letters and digits, one per call; epochOf reads them back', () => {
    const epochs = new Set(Array.from({ length: 1000 }, createEpoch))
    expect(epochs.size).toBe(1000)
    for (const epoch of epochs) {
      expect(epoch).toMatch(/^[A-Za-z0-9]{8}$/)
      expect(isEpoch(epoch)).toBe(true)
    }
    expect(epochOf(id('Ab3-10-2'))).toBe('Ab3')
    expect(epochOf(id('10-2'))).toBeUndefined()
    expect([isEpoch(''), isEpoch('a-b'), isEpoch('x'.repeat(17)), isEpoch(7)]).toEqual([false, false, false, false])
  })
})
