// The catch-up of one resuming stream, on a real node:http server; the engine's replay is a
// function the test controls.
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { type CatchUpOptions, resume } from './catch-up.ts'
import { type Connection, openConnection } from './connection.ts'
import type { Replay, StoredEvent } from './engine.ts'
import type { EventId } from './event-id.ts'
import { createFrameCache } from './frame-cache.ts'
import { openProbe, type ProbeStream, until } from './sse-probe.ts'

const EPOCH = 'e1'
const id = (seq: number) => `${EPOCH}-1-${seq}` as EventId
const event = (seq: number): StoredEvent => ({ id: id(seq), name: 'n', data: String(seq) })
const dataIn = (text: string) => [...text.matchAll(/^data: (\d+)$/gm)].map((match) => Number(match[1]))

const cleanup: (() => unknown)[] = []
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn()
})

/** A server whose one stream resumes from `lastEventId` with `options`; returns it and its connection. */
async function open(lastEventId: string, options: Partial<CatchUpOptions>) {
  const frames = createFrameCache()
  const replays: Replay[] = []
  let connection: Connection | undefined
  const server = http.createServer((req, res) => {
    connection = openConnection(req, res, Buffer.from(': hi\n\n'))
    resume(connection, lastEventId, id(100), {
      replay: () => ({ events: [], gap: false }),
      frameOf: frames.frameOf,
      maxQueuedEvents: 100,
      maxBufferedBytes: 1 << 20,
      onReplay: (replay) => replays.push(replay),
      ...options,
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  cleanup.push(
    () => new Promise((resolve) => server.close(resolve)),
    () => server.closeAllConnections(),
  )
  const stream: ProbeStream = await openProbe(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`)
  cleanup.push(() => stream.close())
  await until(
    () => connection !== undefined,
    () => 'no connection',
  )
  return { stream, connection: connection as Connection, replays }
}

describe('catch-up of a resuming stream', () => {
  it('writes the replay, then the live events that came meanwhile (none twice), then goes live', async () => {
    let answer: (replay: Replay) => void = () => {}
    const { stream, connection, replays } = await open(id(1), {
      replay: (from) => {
        expect(from).toBe(id(1))
        return new Promise((resolve) => {
          answer = resolve
        })
      },
    })
    // Live events arrive while the replay is pending; the replay already holds event 3.
    connection.catchUp?.push([event(3), event(4)])
    expect(connection.catchUp).toBeDefined()
    answer({ events: [event(2), event(3)], gap: false })
    await until(
      () => dataIn(stream.text()).length === 3,
      () => stream.text(),
    )
    expect(dataIn(stream.text())).toEqual([2, 3, 4])
    expect(replays).toEqual([{ events: [event(2), event(3)], gap: false }])
    expect(connection.catchUp).toBeUndefined()
  })

  it('a malformed id: a gap block that moves the client to where the stream joined', async () => {
    const { stream, connection, replays } = await open('x'.repeat(100), {
      replay: () => {
        throw new Error('not asked for an id that is not one')
      },
    })
    await until(
      () => stream.text().includes('herald:gap'),
      () => stream.text(),
    )
    expect(stream.text()).toBe(
      `: hi\n\nid: ${id(100)}\nevent: herald:gap\ndata: {"lastEventId":"${'x'.repeat(64)}"}\n\n`,
    )
    expect(replays).toEqual([{ events: [], gap: true }])
    expect(connection.catchUp).toBeUndefined()
  })

  it.each([
    [
      'throws',
      () => {
        throw new Error('down')
      },
    ],
    ['rejects', () => Promise.reject(new Error('down'))],
  ])('a replay that %s drops the stream, so its client tries again', async (_, replay) => {
    let replayed = 0
    // Dropped at once, the request may fail before its response arrives: an end all the same.
    const opened = open(id(1), { replay, onReplay: () => replayed++ })
    await opened.then(
      ({ stream }) => stream.ended,
      (error: Error) => expect(error.message).toBe('socket hang up'),
    )
    expect(replayed).toBe(0)
  })

  it('cuts a stream that falls more than maxQueuedEvents behind while its replay is pending', async () => {
    const { stream, connection } = await open(id(1), { replay: () => new Promise(() => {}), maxQueuedEvents: 3 })
    connection.catchUp?.push([event(2), event(3), event(4)])
    expect(connection.res.destroyed).toBe(false)
    connection.catchUp?.push([event(5)])
    expect(connection.res.destroyed).toBe(true)
    await stream.ended
  })
})
