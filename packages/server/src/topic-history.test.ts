import { describe, expect, it } from 'vitest'
import type { StoredEvent } from './engine.ts'
import type { EventId } from './event-id.ts'
import { createTopicHistory } from './topic-history.ts'

const ORIGIN = 'e-0-0' as EventId
const id = (seq: number) => `e-1-${seq}` as EventId

/** A log of events numbered in publish order, pushed into a history as they are made. */
function setup(perTopic: number, total: number) {
  const history = createTopicHistory({ perTopic, total, origin: ORIGIN })
  let seq = 0
  const publish = (...topics: string[]): StoredEvent => {
    seq += 1
    const event: StoredEvent =
      topics.length === 0
        ? { id: id(seq), name: 'n', data: String(seq) }
        : { id: id(seq), name: 'n', data: String(seq), topics }
    history.push(event)
    return event
  }
  return { history, publish }
}

const seqs = (events: readonly StoredEvent[]) => events.map((event) => Number(event.data))

describe('topic history', () => {
  it('keeps the newest perTopic events of each topic; a topic trimmed past the position is a gap, never partial', () => {
    const { history, publish } = setup(3, 1000)
    const first = publish('room:1')
    for (let n = 0; n < 4; n++) publish('room:1') // 2..5; room:1 keeps 3, 4, 5
    expect(history.size).toBe(3)
    // From the newest event it lost, or later: nothing lost.
    expect(seqs(history.replay(id(2), ['room:1']).events)).toEqual([3, 4, 5])
    expect(seqs(history.replay(id(3), ['room:1']).events)).toEqual([4, 5])
    // From before the ring: room:1 is named, nothing of it is replayed; the broadcasts lost nothing.
    expect(history.replay(first.id, ['room:1'])).toEqual({ events: [], gap: false, topicGaps: ['room:1'] })
    expect(history.replay(ORIGIN, ['room:1']).topicGaps).toEqual(['room:1'])
  })

  it('a busy topic pushes out only its own events: the quiet one replays whole from far back', () => {
    const { history, publish } = setup(100, 10)
    const quiet = [publish('room:quiet'), publish('room:quiet')]
    for (let n = 0; n < 50; n++) publish('room:busy')
    expect(history.size).toBe(10)
    const replay = history.replay(ORIGIN, ['room:quiet', 'room:busy'])
    expect(replay.topicGaps).toEqual(['room:busy'])
    expect(replay.events).toEqual(quiet) // none of the busy topic's: never a partial replay of it
    expect(history.replay(ORIGIN, ['room:quiet'])).toEqual({ events: quiet, gap: false, topicGaps: [] })
    // The busy topic still holds its newest 8 (10 in all, 2 of them the quiet one's).
    expect(seqs(history.replay(id(44), ['room:busy']).events)).toEqual([45, 46, 47, 48, 49, 50, 51, 52])
  })

  it('past the total, a topic within its share makes the least recently published topic give up its oldest', () => {
    const { history, publish } = setup(100, 7)
    const a = [publish('a'), publish('a')]
    const b = [publish('b'), publish('b')]
    const c = [publish('c'), publish('c')]
    a.push(publish('a')) // a is published to last: b is now the least recent, though a's events are older
    expect(history.size).toBe(7)
    publish('d') // d holds 1 of 7 over 5 histories: within its share, so b pays
    expect(history.size).toBe(7)
    expect(history.replay(ORIGIN, ['b']).topicGaps).toEqual(['b'])
    expect(history.replay(b[0]?.id as EventId, ['b']).events).toEqual([b[1]])
    expect(history.replay(ORIGIN, ['a', 'c'])).toEqual({ events: [a[0], a[1], ...c, a[2]], gap: false, topicGaps: [] })
    publish('d') // 2 × 5 > 7: over its share, d pays itself
    expect(history.replay(ORIGIN, ['d']).topicGaps).toEqual(['d'])
    expect(history.replay(ORIGIN, ['a', 'c']).topicGaps).toEqual([])
  })

  it('more topics than the total holds: a new event pushes out the least recent topic’s, never itself', () => {
    const { history, publish } = setup(10, 4)
    const [a, b, c, d] = [publish('a'), publish('b'), publish('c'), publish('d')]
    expect(history.size).toBe(4)
    // Every topic holds one event, more than its share (4 over 6 histories): the newest event is
    // still kept, and a, the least recent, gives up its only one.
    const e = publish('e')
    expect(history.size).toBe(4)
    expect(history.replay(d.id, ['e'])).toEqual({ events: [e], gap: false, topicGaps: [] })
    expect(history.replay(ORIGIN, ['b', 'c', 'd', 'e'])).toEqual({ events: [b, c, d, e], gap: false, topicGaps: [] })
    expect(history.replay(ORIGIN, ['a']).topicGaps).toEqual(['a'])
    expect(history.replay(a.id, ['a', 'f']).topicGaps).toEqual([])
    const f = publish('f')
    expect(history.replay(b.id, ['c', 'f'])).toEqual({ events: [c, f], gap: false, topicGaps: [] })
  })

  it('a history emptied by the total is dropped; its newest lost id is a gap for every topic without a history', () => {
    const { history, publish } = setup(100, 6)
    const lost = publish('a')
    const b = [publish('b'), publish('b'), publish('b')]
    publish('c')
    publish('c')
    const d = publish('d') // within its share: a, the least recent, gives up its only event
    expect(history.size).toBe(6)
    // a, and a topic never published to, may have lost an event after the origin…
    expect(history.replay(ORIGIN, ['a', 'never'])).toEqual({ events: [], gap: false, topicGaps: ['a', 'never'] })
    // …but nothing after the lost event.
    expect(history.replay(lost.id, ['a', 'never'])).toEqual({ events: [], gap: false, topicGaps: [] })
    expect(history.replay(ORIGIN, ['b', 'd'])).toEqual({ events: [...b, d], gap: false, topicGaps: [] })
    // A topic that gets a history again starts it at the watermark: from before it, still a gap.
    const again = publish('a')
    expect(history.replay(ORIGIN, ['a']).topicGaps).toEqual(['a'])
    expect(history.replay(lost.id, ['a'])).toEqual({ events: [again], gap: false, topicGaps: [] })
  })

  it('merges the broadcasts and several topics in id order, an event sent to several topics once', () => {
    const { history, publish } = setup(100, 1000)
    const sent = [publish('a'), publish(), publish('a', 'b'), publish('b'), publish('c'), publish('b', 'a'), publish()]
    const replay = history.replay(ORIGIN, ['b', 'a'])
    expect(seqs(replay.events)).toEqual([1, 2, 3, 4, 6, 7])
    expect(replay).toEqual({ events: sent.filter((_, n) => n !== 4), gap: false, topicGaps: [] })
    // Counted once per history holding it.
    expect(history.size).toBe(9)
    // Asked for no topics: the broadcasts alone, and no topicGaps key.
    expect(history.replay(ORIGIN, [])).toEqual({ events: [sent[1], sent[6]], gap: false })
  })

  it('the broadcasts keep perTopic events too; trimmed, they are the whole-stream gap', () => {
    const { history, publish } = setup(2, 1000)
    for (let n = 0; n < 3; n++) publish()
    expect(history.replay(ORIGIN, ['a'])).toEqual({ events: [], gap: true, topicGaps: [] })
    expect(seqs(history.replay(id(1), ['a']).events)).toEqual([2, 3])
  })
})
