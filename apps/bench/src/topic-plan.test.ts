import { describe, expect, it } from 'vitest'
import { BROADCAST_PAD, drawTargets, expectedFor, padOf, topicOf } from './topic-plan.ts'

describe('topic plan', () => {
  it('draws the same topics in every process, numbering each topic’s events from 1', () => {
    const plan = { mode: 'targeted', count: 5000, seed: 3 } as const
    const targets = drawTargets(plan, 100)
    expect(drawTargets(plan, 100)).toEqual(targets)
    expect(drawTargets({ ...plan, seed: 4 }, 100).topic).not.toEqual(targets.topic)
    const next = new Uint32Array(100)
    for (let n = 0; n < plan.count; n++) {
      const topic = targets.topic[n] as number
      next[topic] = (next[topic] as number) + 1
      expect(targets.seq[n]).toBe(next[topic])
    }
    expect(targets.perTopic).toEqual(next)
    expect(next.every((count) => count > 20)).toBe(true) // every topic drawn: the draw is spread
  })

  it('tells each connection its topic and how many events it is due', () => {
    const users = { kind: 'user', topics: 10 } as const
    const rooms = { kind: 'room', topics: 4 } as const
    expect([topicOf(users, 0), topicOf(users, 9), topicOf(rooms, 5), topicOf({ kind: 'none', topics: 0 }, 3)]).toEqual([
      'user:1',
      'user:10',
      'room:2',
      undefined,
    ])
    const plan = { mode: 'targeted', count: 50, seed: 1 } as const
    const targets = drawTargets(plan, 10)
    const due = Array.from({ length: 10 }, (_, index) => expectedFor(users, plan, targets, index))
    expect(due.reduce((sum, count) => sum + count, 0)).toBe(50)
    expect(expectedFor(rooms, { ...plan, mode: 'broadcast' }, undefined, 3)).toBe(50)
  })

  it('pads a targeted event to the length of a broadcast one, naming its topic', () => {
    expect(padOf('user:42')).toHaveLength(BROADCAST_PAD.length)
    expect(padOf('user:42').startsWith('user:42x')).toBe(true)
  })
})
