import { defineEvents, type Topic } from '@herald/schema'
import { createTickets, type TicketClaims } from '@herald/server'
import type Koa from 'koa'
import { describe, it, type TestContext } from 'vitest'
import * as z from 'zod'
import { type ClientOptions, createClient, type HeraldError } from './index.ts'
import { cleanups, nextOpen } from './test-herald-server.ts'
import { serveTopicHerald, type TopicHeraldOptions, wait } from './test-topic-herald.ts'

// Stream tickets and stream auth end to end: Herald's client fetching a fresh ticket from a real
// `POST /tickets` route before every connection, Herald's `sse(channel, { tickets })` checking it on
// the same Koa server, and authentication middleware in front of `sse()` answering 401 or 403.

const chat = defineEvents(
  { message: z.object({ text: z.string() }) },
  { topics: { user: z.string().regex(/^[a-z0-9]+$/), room: z.int().positive() } },
)
type Chat = typeof chat

const SECRET = 'a test secret of at least 32 bytes, not for production'

/** What the ticket route hands out: a fresh ticket, the first one again, or one already expired. */
type Issuing = 'fresh' | 'reused' | 'expired'

function fixtures({ onTestFinished }: TestContext) {
  const jobs = cleanups()
  onTestFinished(() => jobs.run())

  async function serve(options: TopicHeraldOptions<Chat> = {}) {
    const server = await serveTopicHerald(chat, { ...options, channel: { retryMs: 20, ...options.channel } })
    jobs.add(() => server.close())
    return server
  }

  /**
   * A server requiring tickets, issued by `POST /tickets` for user `ann` and `topics`; the stream
   * joins `user:<ticket's user>` itself and any topic the ticket allows. `ttlMs` on a clock the test moves.
   */
  async function serveTickets(topics: readonly Topic<Chat>[], ttlMs = 10_000) {
    let clock = Date.now()
    const tickets = createTickets({ secret: SECRET, ttlMs, now: () => clock })
    const issued: string[] = []
    const asked: number[] = []
    const state = { issuing: 'fresh' as Issuing }
    const route: Koa.Middleware = (ctx) => {
      let ticket: string
      if (state.issuing === 'reused' && issued[0] !== undefined) ticket = issued[0]
      else if (state.issuing === 'expired') {
        const now = clock
        clock -= ttlMs + 1 // issued long enough ago to have expired by now
        ticket = tickets.issue({ user: 'ann', topics })
        clock = now
      } else ticket = tickets.issue({ user: 'ann', topics })
      issued.push(ticket)
      ctx.body = { ticket }
    }
    const server = await serve({
      routes: { 'POST /tickets': route },
      sse: {
        tickets,
        topics: (ctx) => [`user:${(ctx.state['ticket'] as TicketClaims).user}`],
        authorize: () => true,
      },
    })
    const ticket = async () => {
      asked.push(performance.now())
      const response = await fetch(`${server.origin}/tickets`, { method: 'POST' })
      return ((await response.json()) as { ticket: string }).ticket
    }
    return {
      server,
      issued,
      /** When the client asked for each ticket (`performance.now()`). */
      asked,
      ticket,
      state,
      /** Moves the ticket clock on. */
      advance: (ms: number) => {
        clock += ms
      },
    }
  }

  /** A client that records its messages, errors and whether it closed. */
  function track(url: string, options: ClientOptions<Chat> = {}) {
    const client = createClient(chat, url, options)
    jobs.add(() => client.close())
    const texts: string[] = []
    const errors: HeraldError[] = []
    client.on('message', ({ text }) => texts.push(text))
    client.onError((error) => errors.push(error))
    return { client, texts, errors }
  }

  return { serve, serveTickets, track }
}

const codes = (errors: readonly HeraldError[]) => errors.map((error) => error.code)

describe('createClient: stream tickets against a real Herald server', () => {
  it('fetches a fresh ticket for every connection, so a stream survives kills; the ticket clock moves on meanwhile', async (context) => {
    const { expect } = context
    const { serveTickets, track } = fixtures(context)
    const { server, issued, ticket, advance } = await serveTickets(['room:1'], 1000)
    const { client, texts, errors } = track(server.url, { topics: ['room:1'], ticket })
    await expect.poll(() => client.topics).toEqual(['user:ann', 'room:1'])
    const sent: string[] = []
    const say = (text: string, topic?: Topic<Chat>) => {
      sent.push(text)
      if (topic === undefined) server.channel.emit('message', { text })
      else server.channel.to(topic).emit('message', { text })
    }
    say('hello ann', 'user:ann')
    say('hello room', 'room:1')
    await expect.poll(() => texts).toEqual(sent)
    for (let cut = 1; cut <= 5; cut++) {
      // Each ticket expires in 1 s: by now the first ones would be refused, and every one is single use.
      advance(600)
      expect(server.kill()).toBe(1)
      say(`missed ${cut}`, cut % 2 === 0 ? 'user:ann' : 'room:1')
      say(`everyone ${cut}`)
      await expect.poll(() => server.requests.filter((request) => request.status === 200).length).toBe(cut + 1)
      await expect.poll(() => texts).toEqual(sent)
      // Long enough for the connection to count as healthy, so the next wait starts from the base again.
      await wait(200)
    }
    // One ticket issued per connection, each a new one, each the one that connection carried.
    expect(issued).toHaveLength(6)
    expect(new Set(issued).size).toBe(6)
    expect(server.requests.map((request) => request.ticket)).toEqual(issued)
    expect(codes(errors).filter((code) => code !== 'CONNECTION_LOST')).toEqual([])
    expect(client.state).toBe('open')
  })

  it('cut as soon as it opens, a ticket stream backs off, and each CONNECTION_LOST announces the wait it keeps', async (context) => {
    const { expect } = context
    const { serveTickets, track } = fixtures(context)
    const { server, asked, ticket } = await serveTickets(['room:1'])
    const { client } = track(server.url, { ticket })
    const lost: { at: number; waitMs: number }[] = []
    client.onError((error) => {
      const announced = /retrying in (\d+) ms/.exec(error.message)?.[1]
      if (error.code === 'CONNECTION_LOST' && announced !== undefined) {
        lost.push({ at: performance.now(), waitMs: Number(announced) })
      }
    })
    client.onOpen(() => server.kill())
    await expect.poll(() => asked.length, { timeout: 5000 }).toBe(5)
    client.close()
    // Connections that never last double the wait; the next ticket is asked for when announced
    // (the wait starts just before the error is built and reported, which may take a few ms).
    for (const [index, { at, waitMs }] of lost.slice(0, 4).entries()) {
      const tookMs = (asked[index + 1] as number) - at
      expect(tookMs, `wait ${index}: announced ${waitMs} ms`).toBeGreaterThanOrEqual(waitMs - 30)
      expect(tookMs, `wait ${index}: announced ${waitMs} ms`).toBeLessThan(waitMs + 150)
    }
    expect((lost[3] as { waitMs: number }).waitMs).toBeGreaterThanOrEqual(400)
  })

  it.for([
    ['reused', 'already used'],
    ['expired', 'expired'],
  ] as const)(
    'stops with CONNECTION_FAILED 401 when the ticket route hands out a %s ticket',
    async ([issuing, reason], context) => {
      const { expect } = context
      const { serveTickets, track } = fixtures(context)
      const { server, issued, ticket, state } = await serveTickets(['room:1'])
      const { client, texts, errors } = track(server.url, { topics: ['room:1'], ticket })
      await nextOpen(client)
      server.channel.to('room:1').emit('message', { text: 'before' })
      await expect.poll(() => texts).toEqual(['before'])
      state.issuing = issuing
      server.kill()
      await expect.poll(() => client.state).toBe('closed')
      const failed = errors.find((error) => error.code === 'CONNECTION_FAILED')
      expect(failed?.status).toBe(401)
      expect(server.requests.map((request) => request.status)).toEqual([200, 401])
      expect(server.requests[1]?.ticket).toBe(issued[1])
      // The server said why, without a stream byte; the client does not try again.
      await wait(200)
      expect(server.requests).toHaveLength(2)
      expect(issued).toHaveLength(2)
      expect(server.requests[1]?.body).toBe(`ticket refused: ${reason}`)
    },
  )

  it('a ticket binds the topics: one asked for outside it is refused, the ticket’s own flow', async (context) => {
    const { expect } = context
    const { serveTickets, track } = fixtures(context)
    const { server, ticket } = await serveTickets(['room:1', 'room:2'])
    const { client, texts, errors } = track(server.url, { topics: ['room:1', 'room:3'], ticket })
    await expect.poll(() => client.topics).toEqual(['user:ann', 'room:1'])
    const refused = errors.filter((error) => error.code === 'TOPIC_REFUSED')
    expect(refused.map((error) => error.topic)).toEqual(['room:3'])
    expect(refused[0]?.message).toContain('forbidden')
    server.channel.to('room:3').emit('message', { text: 'room 3' })
    server.channel.to('room:1').emit('message', { text: 'room 1' })
    await expect.poll(() => texts).toEqual(['room 1'])
    // Live: a topic the ticket allows joins; one it does not is refused again, each with a new ticket.
    client.subscribe('room:2')
    await expect.poll(() => client.topics).toEqual(['user:ann', 'room:1', 'room:2'])
    client.subscribe('room:4')
    await expect.poll(() => errors.filter((error) => error.code === 'TOPIC_REFUSED').length).toBe(2)
    expect(errors.filter((error) => error.code === 'TOPIC_REFUSED')[1]?.topic).toBe('room:4')
    server.channel.to('room:4').emit('message', { text: 'room 4' })
    server.channel.to('room:2').emit('message', { text: 'room 2' })
    await expect.poll(() => texts).toEqual(['room 1', 'room 2'])
    const tickets = server.requests.map((request) => request.ticket)
    expect(new Set(tickets).size).toBe(tickets.length)
    expect(server.requests.map((request) => request.topics)).toEqual([
      ['room:1', 'room:3'],
      ['room:1', 'room:2'],
      ['room:1', 'room:2', 'room:4'],
    ])
  })
})

describe('createClient: a ticket function given the topics', () => {
  it('asks the ticket route for the topics of each connection, so a room subscribed later joins', async (context) => {
    const { expect } = context
    const { serve, track } = fixtures(context)
    const tickets = createTickets({ secret: SECRET, ttlMs: 10_000 })
    /** The topics each `POST /tickets?topic=…` asked for: the ticket names those and no other. */
    const routeAsked: string[][] = []
    const route: Koa.Middleware = (ctx) => {
      const topics = [ctx.query['topic'] ?? []].flat()
      routeAsked.push(topics)
      ctx.body = { ticket: tickets.issue({ user: 'ann', topics }) }
    }
    const server = await serve({
      routes: { 'POST /tickets': route },
      sse: { tickets, topics: (ctx) => [`user:${(ctx.state['ticket'] as TicketClaims).user}`], authorize: () => true },
    })
    const ticket = async (topics: readonly Topic<Chat>[]) => {
      const query = new URLSearchParams(topics.map((topic) => ['topic', topic]))
      const response = await fetch(`${server.origin}/tickets?${query}`, { method: 'POST' })
      return ((await response.json()) as { ticket: string }).ticket
    }
    const { client, texts, errors } = track(server.url, { topics: ['room:1'], ticket })
    await expect.poll(() => client.topics).toEqual(['user:ann', 'room:1'])
    client.subscribe('room:2')
    await expect.poll(() => client.topics).toEqual(['user:ann', 'room:1', 'room:2'])
    client.unsubscribe('room:1')
    await expect.poll(() => client.topics).toEqual(['user:ann', 'room:2'])
    server.channel.to('room:1').emit('message', { text: 'room 1' })
    server.channel.to('room:2').emit('message', { text: 'room 2' })
    await expect.poll(() => texts).toEqual(['room 2'])
    expect(routeAsked).toEqual([['room:1'], ['room:1', 'room:2'], ['room:2']])
    expect(server.requests.map((request) => request.topics)).toEqual(routeAsked)
    expect(errors).toEqual([])
  })
})

describe('createClient: 401 and 403 from authentication in front of sse()', () => {
  it.for([401, 403])('stops reconnecting on %i after a kill', async (status, context) => {
    const { expect } = context
    const { serve, track } = fixtures(context)
    let allowed = true
    const guard: Koa.Middleware = async (ctx, next) => {
      if (allowed) return await next()
      ctx.status = status
      ctx.body = 'not signed in'
    }
    const server = await serve({ guard, sse: { topics: () => ['user:ann'] } })
    const { client, texts, errors } = track(server.url)
    await nextOpen(client)
    server.channel.to('user:ann').emit('message', { text: 'hi' })
    await expect.poll(() => texts).toEqual(['hi'])
    allowed = false
    server.kill()
    await expect.poll(() => client.state).toBe('closed')
    expect(errors.find((error) => error.code === 'CONNECTION_FAILED')?.status).toBe(status)
    await wait(200)
    expect(server.requests.map((request) => request.status)).toEqual([200, status])
  })

  it.for([401, 403])('stops on %i when a subscribe reconnects', async (status, context) => {
    const { expect } = context
    const { serve, track } = fixtures(context)
    let allowed = true
    const guard: Koa.Middleware = async (ctx, next) => {
      if (allowed) return await next()
      ctx.status = status
    }
    const server = await serve({ guard, sse: { authorize: () => true } })
    const { client, errors } = track(server.url, { topics: ['room:1'] })
    await expect.poll(() => client.topics).toEqual(['room:1'])
    allowed = false
    client.subscribe('room:2')
    await expect.poll(() => client.state).toBe('closed')
    expect(errors.map((error) => [error.code, error.status])).toEqual([['CONNECTION_FAILED', status]])
    await wait(200)
    expect(server.requests.map((request) => [request.topics, request.status])).toEqual([
      [['room:1'], 200],
      [['room:1', 'room:2'], status],
    ])
  })
})
