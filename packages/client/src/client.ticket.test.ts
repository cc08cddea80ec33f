import { describe, it } from 'vitest'
import { sleep } from './test-sse-server.ts'
import { fixtures } from './test-topic-client.ts'
import { hello, message, type ScriptContext, stream } from './test-topic-server.ts'

// Stream tickets: the `ticket` option is called before every connection, the first and each
// reconnect (a drop, a silent connection, a change of topics), and its ticket sent in the URL; the
// client reconnects by itself so that no EventSource reuses a ticket. A ticket function that fails
// is reported and retried; a 401 still ends the client.

/** Answers request `n` with a hello and one message; ends the first `drops` responses. */
const dropFirst =
  (drops: number, heartbeatMs = 0) =>
  async ({ res, request, n }: ScriptContext) => {
    await stream(res, hello(`${n}00`, request.topics, heartbeatMs), message(`${n}01`, `hi ${n}`))
    if (n < drops) res.end()
  }

const codes = (errors: readonly { code: string }[]) => errors.map((error) => error.code)

describe.concurrent('createClient: the ticket option', () => {
  it('fetches a fresh ticket before every connection, and sends it with the topics and the last id', async (context) => {
    const { expect } = context
    const { serve, track } = fixtures(context)
    const server = await serve(dropFirst(2))
    let calls = 0
    const { texts, states, errors } = track(server.url, {
      topics: ['room:1'],
      ticket: async () => `secret-ticket-${++calls}`,
    })
    await expect.poll(() => texts).toEqual(['hi 0', 'hi 1', 'hi 2'])
    expect(server.requests.map(({ ticket, topics, lastEventId }) => ({ ticket, topics, lastEventId }))).toEqual([
      { ticket: 'secret-ticket-1', topics: ['room:1'], lastEventId: null },
      { ticket: 'secret-ticket-2', topics: ['room:1'], lastEventId: '001' },
      { ticket: 'secret-ticket-3', topics: ['room:1'], lastEventId: '101' },
    ])
    expect(calls).toBe(3)
    expect(states).toEqual(['connecting', 'open', 'reconnecting', 'open', 'reconnecting', 'open'])
    expect(errors.map((error) => error.code)).toEqual(['CONNECTION_LOST', 'CONNECTION_LOST'])
    for (const error of errors) expect(error.message).not.toContain('secret-ticket')
    // No EventSource came back by itself with a used ticket.
    await sleep(300)
    expect(server.requests).toHaveLength(3)
  })

  it('reports a ticket function that throws or rejects, and tries again after the backoff', async (context) => {
    const { expect } = context
    const { serve, track } = fixtures(context)
    const server = await serve(dropFirst(1))
    let calls = 0
    const called: number[] = []
    const { client, texts, errors } = track(server.url, {
      ticket: () => {
        called.push(performance.now())
        calls++
        if (calls === 2) throw new Error('the auth server is down')
        if (calls === 3) return Promise.reject('no session')
        return `t${calls}`
      },
    })
    await expect.poll(() => texts, { timeout: 4000 }).toEqual(['hi 0', 'hi 1'])
    expect(server.requests.map((request) => request.ticket)).toEqual(['t1', 't4'])
    expect(errors.map((error) => error.code)).toEqual(['CONNECTION_LOST', 'CONNECTION_LOST', 'CONNECTION_LOST'])
    expect(errors[1]?.message).toContain('the ticket function failed: the auth server is down; retrying')
    expect(errors[1]?.cause).toBeInstanceOf(Error)
    expect(errors[2]?.message).toContain('the ticket function failed: no session; retrying')
    // Each failure waits longer than the one before (the server's retry is 20 ms; the floor 100 ms).
    const waits = called.slice(1).map((at, index) => at - (called[index] as number))
    expect(waits[1]).toBeGreaterThanOrEqual(195)
    expect(waits[2]).toBeGreaterThanOrEqual(395)
    expect(client.state).toBe('open')
  })

  it('reports a ticket function that returns no ticket, and tries again', async (context) => {
    const { expect } = context
    const { serve, track } = fixtures(context)
    const server = await serve(dropFirst(1))
    let calls = 0
    const { texts, errors } = track(server.url, {
      ticket: () => (++calls === 2 ? ('' as string) : `t${calls}`),
    })
    await expect.poll(() => texts, { timeout: 3000 }).toEqual(['hi 0', 'hi 1'])
    expect(server.requests.map((request) => request.ticket)).toEqual(['t1', 't3'])
    expect(errors.map((error) => error.message)).toEqual([
      expect.stringContaining('stream ended'),
      expect.stringContaining('the ticket function returned no ticket; retrying'),
    ])
  })

  it('stops for good on a 401, without asking for another ticket', async (context) => {
    const { expect } = context
    const { serve, track } = fixtures(context)
    const server = await serve(({ res }) => res.writeHead(401).end())
    let calls = 0
    const { client, errors } = track(server.url, { ticket: () => `t${++calls}` })
    await expect.poll(() => client.state).toBe('closed')
    expect(errors.map(({ code, status }) => ({ code, status }))).toEqual([{ code: 'CONNECTION_FAILED', status: 401 }])
    await sleep(250)
    expect(calls).toBe(1)
    expect(server.requests).toHaveLength(1)
  })

  it('fetches a new ticket when subscribe changes the topics', async (context) => {
    const { expect } = context
    const { serve, track } = fixtures(context)
    const server = await serve(dropFirst(0))
    let calls = 0
    const { client, texts, errors } = track(server.url, { topics: ['room:1'], ticket: async () => `t${++calls}` })
    await expect.poll(() => texts).toEqual(['hi 0'])
    client.subscribe('room:2')
    await expect.poll(() => texts).toEqual(['hi 0', 'hi 1'])
    expect(server.requests.map(({ ticket, topics, lastEventId }) => ({ ticket, topics, lastEventId }))).toEqual([
      { ticket: 't1', topics: ['room:1'], lastEventId: null },
      { ticket: 't2', topics: ['room:1', 'room:2'], lastEventId: '001' },
    ])
    expect(client.topics).toEqual(['room:1', 'room:2'])
    expect(errors).toEqual([])
  })

  it('calls the ticket function with the topics each connection asks for, after subscribe and unsubscribe too', async (context) => {
    const { expect } = context
    const { serve, track } = fixtures(context)
    // The first connection drops: a reconnection with the same topics asks for a ticket for them again.
    const server = await serve(dropFirst(1))
    const given: (readonly string[])[] = []
    const { client, texts, errors } = track(server.url, {
      topics: ['room:1', 'room:1', 'user:ann'],
      ticket: (topics) => {
        given.push(topics)
        return `t${given.length}`
      },
    })
    await expect.poll(() => texts).toEqual(['hi 0', 'hi 1'])
    client.subscribe('room:2')
    client.unsubscribe('user:ann')
    await expect.poll(() => texts).toEqual(['hi 0', 'hi 1', 'hi 2'])
    client.unsubscribe('room:1')
    client.unsubscribe('room:2')
    await expect.poll(() => texts).toEqual(['hi 0', 'hi 1', 'hi 2', 'hi 3'])
    // Exactly the topics each URL carried, in its order; a frozen copy the function may keep.
    expect(given).toEqual([['room:1', 'user:ann'], ['room:1', 'user:ann'], ['room:1', 'room:2'], []])
    expect(server.requests.map(({ ticket, topics }) => ({ ticket, topics }))).toEqual([
      { ticket: 't1', topics: ['room:1', 'user:ann'] },
      { ticket: 't2', topics: ['room:1', 'user:ann'] },
      { ticket: 't3', topics: ['room:1', 'room:2'] },
      { ticket: 't4', topics: [] },
    ])
    for (const topics of given) expect(Object.isFrozen(topics)).toBe(true)
    expect(codes(errors)).toEqual(['CONNECTION_LOST'])
  })

  it('fetches a new ticket when the watchdog gives up a silent connection', async (context) => {
    const { expect } = context
    const { serve, track } = fixtures(context)
    // The first connection announces a 30 ms heartbeat and then falls silent.
    const server = await serve(dropFirst(0, 30))
    let calls = 0
    const { texts, errors } = track(server.url, { ticket: async () => `t${++calls}` })
    await expect.poll(() => texts).toEqual(['hi 0', 'hi 1'])
    expect(server.requests.map((request) => request.ticket).slice(0, 2)).toEqual(['t1', 't2'])
    expect(server.requests[1]?.lastEventId).toBe('001')
    expect(errors[0]?.message).toContain('nothing received for 90 ms')
  })

  it('drops a ticket that arrives after close()', async (context) => {
    const { expect } = context
    const { serve, track } = fixtures(context)
    const server = await serve(dropFirst(0))
    let resolve: (ticket: string) => void = () => {}
    const { client, states } = track(server.url, { ticket: () => new Promise((done) => (resolve = done)) })
    client.close()
    resolve('late')
    await sleep(50)
    expect(server.requests).toHaveLength(0)
    expect(states).toEqual(['connecting', 'closed'])
  })
})
