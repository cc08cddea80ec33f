import { defineEvents } from '@herald/schema'
import { type ChannelOptions, createChannel } from '@herald/server'
import { describe, it, type TestContext } from 'vitest'
import * as z from 'zod'
import { type ClientOptions, createClient, HeraldEventSource } from './index.ts'
import { serveFaulty } from './test-fault-server.ts'
import { cleanups, nextOpen } from './test-herald-server.ts'

// Guarantee 2, a gap is never silent: a client resuming from an id the history no longer holds,
// or never held (a restarted server, a forged id), is told with HISTORY_GAP and stays live; a
// client resuming from an id still held is told nothing and gets each event once.

const events = defineEvents({ seq: z.number().int() })

/**
 * The fixtures of one test, closed when it finishes: the tests run at the same time (each mostly
 * waits on a retry), so afterEach would close the servers and clients of the others.
 */
function fixtures({ onTestFinished }: TestContext) {
  const jobs = cleanups()
  onTestFinished(() => jobs.run())

  async function serve(options: ChannelOptions, port = 0) {
    const channel = createChannel(events, { heartbeatMs: 0, ...options })
    const server = await serveFaulty(channel, port)
    jobs.add(() => server.close())
    return { channel, server }
  }

  /** A client whose sequence numbers and gap reports land in one timeline, in arrival order. */
  function track(url: string, options: ClientOptions = {}) {
    const client = createClient(events, url, options)
    jobs.add(() => client.close())
    const timeline: (number | 'gap')[] = []
    const errors: string[] = []
    const opens: number[] = []
    client.on('seq', (seq) => timeline.push(seq))
    client.onOpen(() => opens.push(performance.now()))
    client.onError((error) => {
      errors.push(error.code)
      if (error.code === 'HISTORY_GAP') timeline.push('gap')
    })
    return { client, timeline, errors, opens }
  }

  return { serve, track }
}

const range = (from: number, to: number) => Array.from({ length: to - from }, (_, index) => from + index)

describe.concurrent('HISTORY_GAP when the history no longer covers the resume point', () => {
  it('reports the gap once, before any later event, and the stream stays live', async (context) => {
    const { expect } = context
    const { serve, track } = fixtures(context)
    const { channel, server } = await serve({ historySize: 5, retryMs: 100 })
    const { client, timeline, errors } = track(server.url)
    await nextOpen(client)
    for (const seq of range(0, 3)) channel.emit('seq', seq)
    await expect.poll(() => timeline).toEqual([0, 1, 2])

    // Cut the socket and emit 50 events before the client's retry (100 ms): its last id falls
    // out of the 5-event history while it is away.
    const reopened = nextOpen(client)
    expect(server.sockets().length).toBeGreaterThan(0)
    for (const socket of server.sockets()) socket.destroy()
    for (const seq of range(3, 53)) channel.emit('seq', seq)
    await reopened
    expect(server.requests.at(-1)?.['last-event-id']).toMatch(/^[A-Za-z0-9]+-\d+-\d+$/)
    await expect.poll(() => timeline).toEqual([0, 1, 2, 'gap'])

    for (const seq of range(53, 60)) channel.emit('seq', seq)
    await expect.poll(() => timeline).toEqual([0, 1, 2, 'gap', ...range(53, 60)])
    expect(errors).toEqual(['CONNECTION_LOST', 'HISTORY_GAP'])
    expect(client.state).toBe('open')
  })

  it('reports a gap to a client whose server restarted, at the same URL', async (context) => {
    const { expect } = context
    const { serve, track } = fixtures(context)
    const first = await serve({ historySize: 100, retryMs: 20 })
    const { client, timeline, errors } = track(first.server.url)
    await nextOpen(client)
    for (const seq of range(0, 3)) first.channel.emit('seq', seq)
    await expect.poll(() => timeline).toEqual([0, 1, 2])
    const oldId = client.lastEventId

    // The process "restarts": the channel and its history are gone; a new one serves the same port.
    const reopened = nextOpen(client)
    await first.server.close()
    const second = await serve({ historySize: 100, retryMs: 20 }, first.server.port)
    expect(second.server.url).toBe(first.server.url)
    await reopened
    expect(second.server.requests[0]?.['last-event-id']).toBe(oldId)
    await expect.poll(() => timeline).toEqual([0, 1, 2, 'gap'])

    for (const seq of range(100, 103)) second.channel.emit('seq', seq)
    await expect.poll(() => timeline).toEqual([0, 1, 2, 'gap', 100, 101, 102])
    expect(errors.filter((code) => code === 'HISTORY_GAP')).toHaveLength(1)
  })

  it('reports a gap for a lastEventId before or ahead of the log; one between two events resumes from there', async (context) => {
    const { expect } = context
    const { serve, track } = fixtures(context)
    const { channel, server } = await serve({ historySize: 100 })
    const ids = range(0, 3).map((seq) => channel.emit('seq', seq))
    await new Promise((resolve) => setTimeout(resolve, 5)) // the later events get a later millisecond
    ids.push(...range(3, 5).map((seq) => channel.emit('seq', seq)))
    const [epoch, ms, seq] = (ids[2] as string).split('-')
    // Older than every id and newer than every id: a gap. An id is a position in the log (a
    // stream with topics resumes from the id of another topic's event): one just after the third
    // event, never issued, resumes with the fourth.
    const lastEventIds = [
      `${epoch}-${Number(ms) - 1000}-0`,
      `${epoch}-${Date.now() + 60_000}-0`,
      `${epoch}-${ms}-${Number(seq) + 1}`,
    ]
    expect((ids[3] as string).split('-')[1]).not.toBe(ms) // so the id just after the third is free
    const clients = lastEventIds.map((lastEventId) => track(server.url, { lastEventId }))
    await expect.poll(() => clients.map(({ timeline }) => timeline)).toEqual([['gap'], ['gap'], [3, 4]])
    channel.emit('seq', 5)
    await expect
      .poll(() => clients.map(({ timeline }) => timeline))
      .toEqual([
        ['gap', 5],
        ['gap', 5],
        [3, 4, 5],
      ])
  })
})

describe.concurrent('no gap while the history covers the resume point', () => {
  it('replays what a dropped client missed, once each, with no HISTORY_GAP', async (context) => {
    const { expect } = context
    const { serve, track } = fixtures(context)
    const { channel, server } = await serve({ historySize: 100, retryMs: 50 })
    const { client, timeline, errors } = track(server.url)
    await nextOpen(client)
    for (const seq of range(0, 10)) channel.emit('seq', seq)
    await expect.poll(() => timeline).toEqual(range(0, 10))

    for (let round = 0; round < 3; round++) {
      const reopened = nextOpen(client)
      for (const socket of server.sockets()) socket.destroy()
      // Emitted while the client is away (its retry is 50 ms): it must get them from history.
      for (const seq of range(10 + round * 20, 30 + round * 20)) channel.emit('seq', seq)
      await reopened
    }
    for (const seq of range(70, 75)) channel.emit('seq', seq)
    await expect.poll(() => timeline).toEqual(range(0, 75))
    expect(errors).toEqual(['CONNECTION_LOST', 'CONNECTION_LOST', 'CONNECTION_LOST'])
  })

  it('resumes after the lastEventId option: the events after it, nothing before, no gap', async (context) => {
    const { expect } = context
    const { serve, track } = fixtures(context)
    const { channel, server } = await serve({ historySize: 5 })
    const ids = range(0, 10).map((seq) => channel.emit('seq', seq)) // the history holds 5..9
    const cases = [
      { from: 4, expected: range(5, 10) }, // the newest evicted id: nothing after it was lost
      { from: 6, expected: range(7, 10) },
      { from: 9, expected: [] }, // the newest id: up to date
    ]
    const clients = cases.map(({ from }) => track(server.url, { lastEventId: ids[from] as string }))
    await expect.poll(() => clients.every(({ opens }) => opens.length === 1)).toBe(true)
    channel.emit('seq', 10)
    await expect
      .poll(() => clients.map(({ timeline }) => timeline))
      .toEqual(cases.map(({ expected }) => [...expected, 10]))
    for (const { errors } of clients) expect(errors).toEqual([])

    // One id further back than the history reaches is a gap.
    const behind = track(server.url, { lastEventId: ids[3] as string })
    await expect.poll(() => behind.timeline).toEqual(['gap'])
  })
})

describe.concurrent('forged Last-Event-ID values', () => {
  const forged = {
    'a 20-digit clock': '99999999999999999999-0',
    'not an id': 'abc',
    '4 KB': `1-${'9'.repeat(4096)}`,
    'an id with a sign': '-1-0',
    'a 4 KB garbage string': 'x'.repeat(4096),
  }

  it.for(Object.entries(forged))(
    '%s gets HISTORY_GAP and live events; the server keeps serving others',
    async ([, forgedId], context) => {
      const { expect } = context
      const { serve, track } = fixtures(context)
      const { channel, server } = await serve({ historySize: 100 })
      const bystander = track(server.url)
      await nextOpen(bystander.client)
      channel.emit('seq', 0)
      await expect.poll(() => bystander.timeline).toEqual([0])

      // Twice: as the Last-Event-ID header (HeraldEventSource's lastEventId), and as the
      // ?lastEventId= query parameter an injected EventSource's first request carries.
      const byHeader = track(server.url, { lastEventId: forgedId })
      const byQuery = track(server.url, { lastEventId: forgedId, EventSource: HeraldEventSource })
      await expect.poll(() => [byHeader.timeline, byQuery.timeline]).toEqual([['gap'], ['gap']])
      expect(server.requests[1]?.['last-event-id']).toBe(forgedId)

      for (const seq of range(1, 4)) channel.emit('seq', seq)
      await expect
        .poll(() => [bystander.timeline, byHeader.timeline, byQuery.timeline])
        .toEqual([range(0, 4), ['gap', 1, 2, 3], ['gap', 1, 2, 3]])
      for (const { errors, client } of [bystander, byHeader, byQuery]) {
        expect(errors.filter((code) => code !== 'HISTORY_GAP')).toEqual([])
        expect(client.state).toBe('open')
      }
      // A new client is still served after all that.
      const late = track(server.url)
      await nextOpen(late.client)
      channel.emit('seq', 4)
      await expect.poll(() => late.timeline).toEqual([4])
      expect(server.errors).toEqual([])
    },
  )
})
