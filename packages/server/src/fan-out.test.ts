import { describe, expect, it } from 'vitest'
import type { CatchUp } from './catch-up.ts'
import { toChunk } from './connection.ts'
import type { StoredEvent } from './engine.ts'
import type { EventId } from './event-id.ts'
import { createFanOut } from './fan-out.ts'
import { createFrameCache } from './frame-cache.ts'

const event = (seq: number): StoredEvent => ({ id: `a-1-${seq}` as EventId, name: 'n', data: String(seq) })

interface TestStream {
  catchUp: CatchUp | undefined
  writes: { frame: Buffer; chunk: Buffer }[]
  queued: StoredEvent[]
}

function setup() {
  const frames = createFrameCache()
  const fanOut = createFanOut<TestStream>({
    frames,
    send: (stream, frame, chunk) => stream.writes.push({ frame, chunk }),
    newest: 'a-1-0' as EventId,
  })
  const add = (catchingUp = false) => {
    const stream: TestStream = { catchUp: undefined, writes: [], queued: [] }
    if (catchingUp) stream.catchUp = { push: (events) => stream.queued.push(...events) }
    fanOut.add(stream)
    return stream
  }
  return { frames, fanOut, add }
}

const tick = () => new Promise<void>((resolve) => setImmediate(resolve))

describe('fan-out', () => {
  it('writes the events of one tick with one write per stream, at the end of the tick', async () => {
    const { fanOut, add } = setup()
    const [a, b] = [add(), add()]
    for (const seq of [1, 2, 3]) fanOut.publish(event(seq))
    expect(a.writes).toEqual([]) // nothing before the tick ends
    expect(fanOut.newest).toBe('a-1-0')
    await Promise.resolve()
    const text = [1, 2, 3].map((seq) => `id: a-1-${seq}\nevent: n\ndata: ${seq}\n\n`).join('')
    for (const stream of [a, b]) {
      expect(stream.writes).toHaveLength(1)
      expect(stream.writes[0]?.frame.toString()).toBe(text)
      expect(stream.writes[0]?.chunk).toEqual(toChunk(Buffer.from(text)))
    }
    // Encoded once: every stream is handed the very same Buffers.
    expect(b.writes[0]?.frame).toBe(a.writes[0]?.frame)
    expect(b.writes[0]?.chunk).toBe(a.writes[0]?.chunk)
    expect(fanOut.newest).toBe('a-1-3')
  })

  it("a single event's frame is the cached one, shared with replays", async () => {
    const { fanOut, frames, add } = setup()
    const stream = add()
    const one = event(1)
    fanOut.publish(one)
    await Promise.resolve()
    expect(stream.writes[0]?.frame).toBe(frames.frameOf(one))
  })

  it('hands a stream still catching up the events themselves', async () => {
    const { fanOut, add } = setup()
    const live = add()
    const behind = add(true)
    const events = [event(1), event(2)]
    for (const one of events) fanOut.publish(one)
    await Promise.resolve()
    expect(behind.writes).toEqual([])
    expect(behind.queued).toEqual(events)
    expect(live.writes).toHaveLength(1)
  })

  it('flush() writes now, so a stream joining next starts after every event sent', async () => {
    const { fanOut, add } = setup()
    const early = add()
    fanOut.publish(event(1))
    fanOut.flush()
    expect(early.writes).toHaveLength(1)
    expect(fanOut.newest).toBe('a-1-1')
    const late = add()
    await tick() // the queued microtask finds nothing left to write
    expect(early.writes).toHaveLength(1)
    expect(late.writes).toEqual([])
  })
})

describe('fan-out with topics', () => {
  const sent = (seq: number, ...topics: string[]): StoredEvent => ({ ...event(seq), topics })

  interface TopicStream extends TestStream {
    readonly topics: ReadonlySet<string>
    readonly name: string
  }

  function topicSetup() {
    const fanOut = createFanOut<TopicStream>({
      frames: createFrameCache(),
      send: (stream, frame, chunk) => stream.writes.push({ frame, chunk }),
      newest: 'a-1-0' as EventId,
    })
    const add = (name: string, topics: string[], catchingUp = false) => {
      const stream: TopicStream = { name, catchUp: undefined, writes: [], queued: [], topics: new Set(topics) }
      if (catchingUp) stream.catchUp = { push: (events) => stream.queued.push(...events) }
      fanOut.add(stream)
      return stream
    }
    return { fanOut, add }
  }

  // The data of every event a stream was written, in order, and how many writes that took.
  const received = (stream: TestStream) => ({
    writes: stream.writes.length,
    data: stream.writes.flatMap(({ frame }) => [...frame.toString().matchAll(/^data: (.*)$/gm)].map((m) => m[1])),
  })

  it('an event of one topic reaches only the streams that joined it; a broadcast reaches all', async () => {
    const { fanOut, add } = topicSetup()
    const room1 = add('room1', ['room:1'])
    const room2 = add('room2', ['room:2'])
    const none = add('none', [])
    const behind = add('behind', ['room:2'], true)
    fanOut.publish(sent(1, 'room:1'))
    await Promise.resolve()
    expect(received(room1)).toEqual({ writes: 1, data: ['1'] })
    for (const stream of [room2, none, behind]) expect(stream.writes).toEqual([])
    expect(behind.queued).toEqual([])
    fanOut.publish(event(2))
    await Promise.resolve()
    for (const stream of [room1, room2, none]) expect(received(stream).data.at(-1)).toBe('2')
    expect(behind.queued.map((queued) => queued.data)).toEqual(['2'])
  })

  it('an event to several topics reaches a stream that joined more than one of them once', async () => {
    const { fanOut, add } = topicSetup()
    const both = add('both', ['room:1', 'user:7'])
    const one = add('one', ['user:7'])
    const other = add('other', ['room:9'])
    fanOut.publish(sent(1, 'room:1', 'user:7'))
    await Promise.resolve()
    expect(received(both)).toEqual({ writes: 1, data: ['1'] })
    expect(received(one)).toEqual({ writes: 1, data: ['1'] })
    expect(other.writes).toEqual([])
  })

  it('a tick mixing topics and broadcasts gives each stream its own events in id order, in one write', async () => {
    const { fanOut, add } = topicSetup()
    const a = add('a', ['room:a'])
    const b = add('b', ['room:b'])
    const ab = add('ab', ['room:a', 'room:b'])
    const none = add('none', [])
    const behind = add('behind', ['room:b'], true)
    const tick = [event(1), sent(2, 'room:a'), sent(3, 'room:b'), sent(4, 'room:b', 'room:a'), event(5), sent(6, 'x:1')]
    for (const one of tick) fanOut.publish(one)
    await Promise.resolve()
    expect(received(a)).toEqual({ writes: 1, data: ['1', '2', '4', '5'] })
    expect(received(b)).toEqual({ writes: 1, data: ['1', '3', '4', '5'] })
    expect(received(ab)).toEqual({ writes: 1, data: ['1', '2', '3', '4', '5'] })
    expect(received(none)).toEqual({ writes: 1, data: ['1', '5'] })
    expect(behind.queued.map((queued) => queued.data)).toEqual(['1', '3', '4', '5'])
    expect(fanOut.newest).toBe('a-1-6')
  })

  it('in a mixed tick, streams that get the same events share one chunk: the untargeted ones and each like group', async () => {
    const { fanOut, add } = topicSetup()
    const plain = Array.from({ length: 50 }, (_, n) => add(`plain${n}`, [`user:${n}`]))
    const twins = [add('twin1', ['room:a']), add('twin2', ['room:a'])]
    for (const one of [event(1), sent(2, 'room:a'), event(3)]) fanOut.publish(one)
    await Promise.resolve()
    for (const stream of plain) expect(received(stream)).toEqual({ writes: 1, data: ['1', '3'] })
    for (const stream of twins) expect(received(stream)).toEqual({ writes: 1, data: ['1', '2', '3'] })
    // One block and chunk for the fifty, one for the two: built twice in all, not 52 times.
    expect(new Set(plain.map((stream) => stream.writes[0]?.chunk)).size).toBe(1)
    expect(new Set(twins.map((stream) => stream.writes[0]?.chunk)).size).toBe(1)
  })

  it('an event to a topic nobody joined writes nothing, to no stream', async () => {
    const { fanOut, add } = topicSetup()
    const streams = [add('a', ['room:a']), add('none', []), add('behind', ['room:b'], true)]
    fanOut.publish(sent(1, 'room:nobody'))
    fanOut.publish(sent(2, 'room:nobody', 'user:nobody'))
    await Promise.resolve()
    fanOut.publish(sent(3, 'room:nobody'))
    await Promise.resolve()
    for (const stream of streams) {
      expect(stream.writes).toEqual([])
      expect(stream.queued).toEqual([])
    }
    expect(fanOut.newest).toBe('a-1-3')
  })

  it('remove() takes a stream out of the index of each of its topics; clear() out of all', async () => {
    const { fanOut, add } = topicSetup()
    const gone = add('gone', ['room:1', 'user:7'])
    const stays = add('stays', ['room:1'])
    expect(fanOut.remove(gone)).toBe(true)
    expect(fanOut.remove(gone)).toBe(false)
    fanOut.publish(sent(1, 'room:1'))
    fanOut.publish(sent(2, 'user:7'))
    await Promise.resolve()
    fanOut.publish(sent(3, 'user:7', 'room:1'))
    await Promise.resolve()
    expect(gone.writes).toEqual([])
    expect(received(stays).data).toEqual(['1', '3'])
    // A stream joining a topic whose last subscriber left is indexed afresh.
    const back = add('back', ['user:7'])
    fanOut.publish(sent(4, 'user:7'))
    await Promise.resolve()
    expect(received(back).data).toEqual(['4'])
    fanOut.clear()
    expect(fanOut.streams.size).toBe(0)
    const fresh = add('fresh', ['room:2'])
    fanOut.publish(sent(5, 'room:1'))
    fanOut.publish(sent(6, 'user:7'))
    fanOut.publish(sent(7, 'room:2'))
    await Promise.resolve()
    expect(received(stays).data).toEqual(['1', '3'])
    expect(received(back).data).toEqual(['4'])
    expect(received(fresh).data).toEqual(['7'])
  })
})
