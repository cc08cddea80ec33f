import { expect, it } from 'vitest'
import { createNoteSequence } from './note-sequence.ts'

// The numbering of the holder's notes, and a tab's judge of it: no clock, only the numbers.
const ids = (...list: string[]) => {
  const left = [...list]
  return () => left.shift() ?? 'none'
}

it('the holder numbers its notes from 1 within each leadership it takes', () => {
  const sequence = createNoteSequence({ randomId: ids('a', 'b') })
  sequence.lead()
  expect([sequence.stamp(), sequence.stamp()]).toEqual([
    { lead: 'a', n: 1 },
    { lead: 'a', n: 2 },
  ])
  sequence.lead()
  expect(sequence.mine).toBe('b')
  expect(sequence.stamp()).toEqual({ lead: 'b', n: 1 })
})

it('a tab that just joined hears a leadership midway: no loss; then each next number is', () => {
  const tab = createNoteSequence()
  expect(tab.check({ lead: 'a', n: 57 })).toBe('first')
  expect(tab.check({ lead: 'a', n: 58 })).toBe('next')
  expect(tab.check({ lead: 'a', n: 59 })).toBe('next')
  expect(tab.heard).toEqual({ lead: 'a', n: 59 })
})

it('a number skipped is a loss, told once: the numbers after it follow again', () => {
  const tab = createNoteSequence()
  tab.check({ lead: 'a', n: 1 })
  expect(tab.check({ lead: 'a', n: 2 })).toBe('next')
  expect(tab.check({ lead: 'a', n: 5 })).toBe('lost')
  expect(tab.heard).toEqual({ lead: 'a', n: 5 })
  expect(tab.check({ lead: 'a', n: 6 })).toBe('next')
})

it('a number heard already is a duplicate, neither a loss nor a step back', () => {
  const tab = createNoteSequence()
  tab.check({ lead: 'a', n: 1 })
  tab.check({ lead: 'a', n: 2 })
  expect(tab.check({ lead: 'a', n: 2 })).toBe('seen')
  expect(tab.check({ lead: 'a', n: 1 })).toBe('seen')
  expect(tab.heard).toEqual({ lead: 'a', n: 2 })
  expect(tab.check({ lead: 'a', n: 3 })).toBe('next')
})

it('a new leadership heard from its start is no loss; heard midway, after another, it is', () => {
  const tab = createNoteSequence()
  tab.check({ lead: 'a', n: 1 })
  expect(tab.check({ lead: 'b', n: 1 })).toBe('first') // the takeover's roll call: the tab answers it
  const late = createNoteSequence()
  late.check({ lead: 'a', n: 1 })
  expect(late.check({ lead: 'b', n: 3 })).toBe('lost') // it missed the roll call and what came before
})

it('the old holder speaking after the new one is judged by its own numbers', () => {
  const tab = createNoteSequence()
  tab.check({ lead: 'a', n: 9 })
  tab.check({ lead: 'b', n: 1 })
  expect(tab.check({ lead: 'a', n: 10 })).toBe('next')
  expect(tab.check({ lead: 'b', n: 2 })).toBe('next')
})

it('a tab that held the connection and stepped down sees the next holder midway as a loss', () => {
  const tab = createNoteSequence({ randomId: ids('mine') })
  tab.lead()
  expect(tab.check({ lead: 'other', n: 4 })).toBe('lost')
})

it('it remembers a bounded number of leaderships', () => {
  const tab = createNoteSequence({ remember: 2 })
  tab.check({ lead: 'a', n: 1 })
  tab.check({ lead: 'b', n: 1 })
  tab.check({ lead: 'c', n: 1 })
  // `a` was forgotten: heard again midway, it is taken for a leadership missed from its start.
  expect(tab.check({ lead: 'a', n: 2 })).toBe('lost')
  expect(tab.check({ lead: 'c', n: 2 })).toBe('next')
})
