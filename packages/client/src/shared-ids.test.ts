import { describe, expect, it } from 'vitest'
import { compareIds, covers, isAfter, oldestId } from './shared-ids.ts'

describe('ordering event ids for the shared client', () => {
  it('orders ids of one epoch by milliseconds, then sequence, as numbers', () => {
    expect(compareIds('k3Xq-99-5', 'k3Xq-100-0')).toBeLessThan(0)
    expect(compareIds('k3Xq-100-10', 'k3Xq-100-9')).toBeGreaterThan(0)
    expect(compareIds('k3Xq-100-9', 'k3Xq-100-9')).toBe(0)
    expect(compareIds('100-9', '100-10')).toBeLessThan(0) // ids written before epochs
  })

  it('cannot order ids of two epochs, or not shaped like Herald’s', () => {
    expect(compareIds('a-1-0', 'b-2-0')).toBeUndefined()
    expect(compareIds('7', 'a-1-0')).toBeUndefined()
    expect(compareIds('', 'a-1-0')).toBeUndefined()
    expect(isAfter('b-1-0', 'a-9-0')).toBe(true) // kept: a new epoch's events are new
    expect(isAfter('a-1-0', '')).toBe(true)
    expect(isAfter('a-1-0', 'a-1-0')).toBe(false)
  })

  it('resumes from the oldest position, leaving out tabs that saw nothing', () => {
    expect(oldestId(['a-5-0', '', 'a-3-2', 'a-3-10'])).toBe('a-3-2')
    expect(oldestId(['', ''])).toBe('')
  })
})

describe('covers', () => {
  it('says whether a stream restarting at an id replays everything a tab at a position lacks', () => {
    expect(covers('e-5-0', 'e-7-0')).toBe(true) // restarts before: the tab drops what it had
    expect(covers('e-7-0', 'e-7-0')).toBe(true)
    expect(covers('e-9-0', 'e-7-0')).toBe(false) // starts past the tab: it would miss 7..9
    expect(covers('x-1-0', 'e-7-0')).toBe(true) // another epoch: no better resume exists
    expect(covers('', 'e-7-0')).toBe(false) // from the start of nothing: the server's newest
    expect(covers('', '')).toBe(true) // a tab that saw nothing lacks nothing
  })
})
