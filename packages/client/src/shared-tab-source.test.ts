import { describe, expect, it } from 'vitest'
import type { EventSourceLike } from './event-source.ts'
import type { EventNote } from './shared-notes.ts'
import { createTabSide } from './shared-tab-source.ts'

const event = (id: string, n: number): EventNote => ({ k: 'event', type: 'n', data: String(n), id, topics: [] })

describe('a tab side', () => {
  it('neither receives nor moves past events that come before its client made its first EventSource', () => {
    const announced: string[] = []
    const side = createTabSide({
      withCredentials: false,
      position: '0-100-0',
      announce: () => announced.push(side.position),
    })
    // The tab's client is still loading its connection's code: no EventSource yet.
    side.arrived(event('0-100-1', 1))
    side.arrived(event('0-100-2', 2))
    expect(side.position).toBe('0-100-0')

    const source = new side.Source('http://127.0.0.1/events')
    // It tells the other tabs where it stands: where it was, not past events it never had.
    expect(announced).toEqual(['0-100-0'])
    const received: string[] = []
    source.addEventListener('n', (message) => received.push((message as MessageEvent<string>).data))
    side.arrived(event('0-100-3', 3))
    side.arrived(event('0-100-2', 2)) // already behind it: dropped
    expect(received).toEqual(['3'])
    expect(side.position).toBe('0-100-3')

    // Between two of its client's EventSources (a reconnect), it moves on as the stream does.
    source.close()
    side.arrived(event('0-100-4', 4))
    expect(side.position).toBe('0-100-4')
    expect(received).toEqual(['3'])
  })

  it('keeps receiving the topics it keeps across a change of topics, before the new hello', () => {
    const side = createTabSide({ withCredentials: false, position: '', announce: () => {} })
    const received: string[] = []
    const listen = (source: EventSourceLike) =>
      source.addEventListener('n', (message) => received.push((message as MessageEvent<string>).data))
    const first = new side.Source('http://127.0.0.1/events?topic=room:1')
    listen(first)
    side.arrived({
      k: 'event',
      type: 'herald:hello',
      data: '{"retryMs":1000,"heartbeatMs":0,"topics":["room:1"]}',
      id: '',
      topics: [],
    })
    side.arrived({ ...event('0-1-1', 1), topics: ['room:1'] })
    // The client subscribes to room:2: it closes its EventSource and makes one asking for both.
    first.close()
    const second = new side.Source('http://127.0.0.1/events?topic=room:1&topic=room:2')
    listen(second)
    side.arrived({ ...event('0-1-2', 2), topics: ['room:1'] })
    side.arrived({ ...event('0-1-3', 3), topics: ['room:2'] }) // not joined yet: the hello says
    expect(received).toEqual(['1', '2'])
  })
})
