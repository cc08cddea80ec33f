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
