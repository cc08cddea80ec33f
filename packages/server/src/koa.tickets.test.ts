import { describe, expect, it } from 'vitest'
import { createChannel } from './channel.ts'
import { openProbe, type ProbeStream, until } from './sse-probe.ts'
import { useCleanup } from './test-server.ts'
import { authenticate, controlsIn, seqsIn, serveTopics, topicEvents, userOf } from './test-topics.ts'
import { createTickets, type TicketClaims } from './tickets.ts'

// Stream tickets through sse(channel, { tickets }): a native EventSource sends no headers, so the
// stream request proves who it is with a short-lived, single-use signed ticket in its query,
// issued by an authenticated POST. Real Koa server and HTTP readers; the tickets' clock is fake.

const defer = useCleanup()
const SECRET = 'koa-tickets-test-secret-0123456789abcdef'
const TTL = 30_000

async function setup() {
  let now = 1_700_000_000_000
  const clock = {
    add: (ms: number) => {
      now += ms
    },
  }
  const tickets = createTickets({ secret: SECRET, ttlMs: TTL, now: () => now })
  const channel = createChannel(topicEvents, { heartbeatMs: 0, retryMs: 50 })
  const seen: unknown[] = [] // ctx.state.ticket, as the topics option saw it
  let authorized = 0
  const server = await serveTopics(
    channel,
    {
      tickets,
      topics: (ctx) => {
        seen.push(ctx.state['ticket'])
        return [`user:${(ctx.state['ticket'] as TicketClaims).user}`]
      },
      // Would allow anything: the ticket alone bounds what the stream joins.
      authorize: () => {
        authorized += 1
        return true
      },
    },
    [], // no other authentication on the stream: the ticket is it
    (router) => {
      router.post('/tickets', authenticate, (ctx) => {
        const user = userOf(ctx)
        ctx.body = { ticket: tickets.issue({ user, topics: [`user:${user}`, 'room:1'] }) }
      })
    },
  )
  defer(
    () => server.close(),
    () => channel.close(),
  )
  const issue = async (user = 'ann') => {
    const response = await fetch(server.url.replace('/events', '/tickets'), {
      method: 'POST',
      headers: { 'x-user': user },
    })
    expect(response.status).toBe(200)
    return ((await response.json()) as { ticket: string }).ticket
  }
  const open = async (query: string) => {
    const stream = await openProbe(`${server.url}?${query}`)
    defer(() => stream.close())
    await until(
      () => stream.text().includes('herald:hello'),
      () => stream.text(),
    )
    return stream
  }
  /** A stream request that must be refused: its status and body. */
  const refused = async (query: string) => {
    const response = await fetch(`${server.url}${query === '' ? '' : `?${query}`}`)
    return {
      status: response.status,
      type: response.headers.get('content-type'),
      body: await response.text(),
    }
  }
  return { channel, server, clock, issue, open, refused, seen, authorized: () => authorized }
}

const done = (stream: ProbeStream) =>
  until(
    () => stream.text().includes('event: done'),
    () => stream.text(),
  )

describe('sse({ tickets })', () => {
  it('a valid ticket opens the stream; its claims are in ctx.state.ticket; the stream joins what it allows', async () => {
    const { channel, issue, open, seen } = await setup()
    const ticket = await issue('ann')
    const stream = await open(`ticket=${ticket}&topic=room:1`)
    expect(seen).toEqual([{ user: 'ann', topics: ['user:ann', 'room:1'], expiresAt: 1_700_000_000_000 + TTL }])
    expect(controlsIn(stream.text(), 'herald:hello')).toMatchObject([{ topics: ['user:ann', 'room:1'] }])
    expect(controlsIn(stream.text(), 'herald:refused')).toEqual([])
    channel.to('room:1').emit('n', { seq: 1 })
    channel.to('user:ann').emit('n', { seq: 2 })
    channel.to('user:bob').emit('n', { seq: 3 })
    channel.emit('done', null)
    await done(stream)
    expect(seqsIn(stream.text())).toEqual([1, 2])
  })

  it('a topic outside the ticket is refused (forbidden) whatever authorize says; the stream keeps the others', async () => {
    const { channel, issue, open, authorized } = await setup()
    const stream = await open(`ticket=${await issue('ann')}&topic=room:2&topic=room:1&topic=user:bob`)
    expect(controlsIn(stream.text(), 'herald:hello')).toMatchObject([{ topics: ['user:ann', 'room:1'] }])
    expect(controlsIn(stream.text(), 'herald:refused')).toEqual([
      { topic: 'room:2', reason: 'forbidden' },
      { topic: 'user:bob', reason: 'forbidden' },
    ])
    expect(authorized()).toBe(1) // room:1 only: the others never reached authorize
    channel.to('room:2').emit('n', { seq: 1 })
    channel.to('user:bob').emit('n', { seq: 2 })
    channel.to('room:1').emit('n', { seq: 3 })
    channel.emit('done', null)
    await done(stream)
    expect(seqsIn(stream.text())).toEqual([3])
  })

  it('the same ticket twice: the second request is a 401, however the first one ended', async () => {
    const { channel, issue, open, refused } = await setup()
    const ticket = await issue()
    const first = await open(`ticket=${ticket}`)
    expect(await refused(`ticket=${ticket}`)).toMatchObject({ status: 401, body: 'ticket refused: already used' })
    first.close()
    await until(
      () => channel.size === 0,
      () => 'first stream still open',
    )
    expect(await refused(`ticket=${ticket}&topic=room:1`)).toMatchObject({ status: 401 })
    // A fresh ticket works: the refusal is of the ticket, not of the user.
    await open(`ticket=${await issue()}`)
    expect(channel.size).toBe(1)
  })

  it('an expired ticket is a 401; one verified just before its expiry streams', async () => {
    const { channel, clock, issue, open, refused } = await setup()
    const late = await issue()
    const inTime = await issue()
    clock.add(TTL - 1)
    await open(`ticket=${inTime}`)
    clock.add(1)
    expect(await refused(`ticket=${late}`)).toMatchObject({ status: 401, body: 'ticket refused: expired' })
    expect(channel.size).toBe(1)
  })

  it('a forged, tampered, foreign or missing ticket is a 401 with no stream, and nothing asked of topics', async () => {
    const { channel, issue, refused, seen, authorized } = await setup()
    const ticket = await issue('bob')
    const [payload, signature] = ticket.split('.') as [string, string]
    // Claims rewritten for another user, the signature kept.
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as unknown[]
    claims[1] = 'ann'
    const rewritten = `${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${signature}`
    const flipped = `${payload}.${signature.slice(0, -2)}${signature.at(-2) === 'A' ? 'B' : 'A'}${signature.at(-1)}`
    const foreign = createTickets({ secret: 'another-secret-0123456789abcdefghijkl' }).issue({
      user: 'bob',
      topics: ['room:1'],
    })
    const cases: [string, string][] = [
      [`ticket=${rewritten}`, 'ticket refused: bad signature'],
      [`ticket=${flipped}`, 'ticket refused: bad signature'],
      [`ticket=${foreign}`, 'ticket refused: bad signature'],
      ['ticket=not-a-ticket', 'ticket refused: malformed'],
      ['ticket=', 'ticket refused: malformed'],
      ['topic=room:1', 'ticket refused: malformed (expected a string, received undefined)'],
      ['', 'ticket refused: malformed (expected a string, received undefined)'],
    ]
    for (const [query, body] of cases) {
      const answer = await refused(query)
      expect(answer, query).toMatchObject({ status: 401, body })
      expect(answer.type).not.toContain('text/event-stream')
    }
    expect(seen).toEqual([])
    expect(authorized()).toBe(0)
    expect(channel.size).toBe(0)
  })
})
