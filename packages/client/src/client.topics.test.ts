import type { Topic } from '@herald/schema'
import { describe, it } from 'vitest'
import { type ClientOptions, createClient, HeraldEventSource } from './index.ts'
import { sleep } from './test-sse-server.ts'
import { type Chat, chat, fixtures } from './test-topic-client.ts'
import { control, hello, message, type ScriptContext, stream } from './test-topic-server.ts'

// Topics on the client: which topics each request asks for, live subscribe and unsubscribe as one
// transparent reconnect from the last id, and the server's answers (the hello's joined topics,
// refusals, per-topic gaps), against a raw SSE server that plays Herald's part byte for byte.

/** A server that joins `user:ann` itself and every topic asked for, ids counting from `n`00. */
const joinAll = ({ res, request, n }: ScriptContext) =>
  stream(res, hello(`${n}00`, ['user:ann', ...request.topics]), message(`${n}01`, `hi ${n}`))

describe.concurrent('createClient: topics', () => {
  it('asks for its topics in the URL, in order and once each, and reads the joined ones from the hello', async (context) => {
    const { expect } = context
    const { serve, track } = fixtures(context)
    // The hello also names a topic of a newer contract: the client's type cannot hold it.
    const server = await serve(({ res, request }) =>
      stream(res, hello('1', ['user:ann', ...request.topics, 'planet:9']), message('2', 'hi')),
    )
    const { client, texts, errors } = track(server.url, { topics: ['room:2', 'room:1', 'room:2'] })
    expect(client.topics).toEqual([])
    await expect.poll(() => texts).toEqual(['hi'])
    expect(client.topics).toEqual(['user:ann', 'room:2', 'room:1'])
    expect(Object.isFrozen(client.topics)).toBe(true)
    const [request] = server.requests
    expect(request?.topics).toEqual(['room:2', 'room:1'])
    expect(request?.ticket).toBeNull()
    expect(request?.lastEventId).toBeNull()
    expect(client.url).toBe(server.url)
    expect(errors).toEqual([])
  })

  it('sends no topic parameter, and leaves the URL as given, when it asks for none', async (context) => {
    const { expect } = context
    const { serve, track } = fixtures(context)
    const server = await serve(({ res }) => stream(res, hello('1'), message('2', 'hi')))
    const { client, texts } = track(`${server.url}?room=kept`)
    await expect.poll(() => texts).toEqual(['hi'])
    expect(server.requests[0]?.url.search).toBe('?room=kept')
    expect(client.topics).toEqual([])
  })

  it.for([
    ['Herald’s EventSource (the Last-Event-ID header)', false],
    ['an injected EventSource (the lastEventId parameter)', true],
  ] as const)(
    'subscribe and unsubscribe in one tick reconnect once, from the last id, through %s',
    async ([, inject], context) => {
      const { expect } = context
      const { serve, track } = fixtures(context)
      const server = await serve(joinAll)
      let created = 0
      class Counted extends HeraldEventSource {
        constructor(...args: ConstructorParameters<typeof HeraldEventSource>) {
          super(...args)
          created++
        }
      }
      const options = inject ? { EventSource: Counted } : {}
      const { client, texts, states, errors } = track(server.url, { ...options, topics: ['room:1'] })
      await expect.poll(() => texts).toEqual(['hi 0'])
      expect(client.lastEventId).toBe('001')

      client.subscribe('room:2')
      client.subscribe('room:3')
      client.unsubscribe('room:1')
      client.subscribe('room:2') // asked for already
      expect(server.requests).toHaveLength(1) // not yet: the changes of this tick make one reconnect
      await expect.poll(() => texts).toEqual(['hi 0', 'hi 1'])
      expect(client.topics).toEqual(['user:ann', 'room:2', 'room:3'])

      const [first, second] = server.requests
      expect(first?.topics).toEqual(['room:1'])
      expect(second?.topics).toEqual(['room:2', 'room:3'])
      expect(second?.lastEventId).toBe('001')
      await expect.poll(() => first?.aborted).toBe(true)
      expect(states).toEqual(['connecting', 'open', 'connecting', 'open'])
      expect(errors).toEqual([]) // a deliberate switch is not a lost connection
      await sleep(60)
      expect(server.requests).toHaveLength(2)
      if (inject) expect(created).toBe(2)
    },
  )

  it('makes no reconnect for changes that cancel out, repeats, or topics never asked for', async (context) => {
    const { expect } = context
    const { serve, track } = fixtures(context)
    const server = await serve(joinAll)
    const { client, texts, states } = track(server.url, { topics: ['room:1'] })
    await expect.poll(() => texts).toEqual(['hi 0'])
    client.subscribe('room:2')
    client.unsubscribe('room:2')
    client.subscribe('room:1')
    client.unsubscribe('room:9')
    client.unsubscribe('user:ann') // joined by the server, not asked for: cannot be left
    await sleep(60)
    expect(server.requests).toHaveLength(1)
    expect(states).toEqual(['connecting', 'open'])
  })

  it('checks topics synchronously; after close() subscribe throws and unsubscribe does nothing', async (context) => {
    const { expect } = context
    const { serve, track } = fixtures(context)
    const server = await serve(joinAll)
    const { client, texts } = track(server.url)
    await expect.poll(() => texts).toEqual(['hi 0'])
    const bad = ['room:042', 'room:0', 'planet:1', 'room'] as unknown as Topic<Chat>[]
    for (const topic of bad) {
      expect(() => client.subscribe(topic)).toThrow(expect.objectContaining({ code: 'INVALID_TOPIC', topic }))
      expect(() => client.unsubscribe(topic)).toThrow(expect.objectContaining({ code: 'INVALID_TOPIC', topic }))
    }
    expect(() => client.subscribe('room:042' as Topic<Chat>)).toThrow("topic 'room:042'")

    client.close()
    expect(() => client.subscribe('room:1')).toThrow(
      expect.objectContaining({ code: 'CHANNEL_CLOSED', topic: 'room:1', message: expect.stringContaining('room:1') }),
    )
    expect(() => client.unsubscribe('room:1')).not.toThrow()
    await sleep(30)
    expect(server.requests).toHaveLength(1)
    expect(client.state).toBe('closed')
  })

  it('refuses bad topics in the options at once', ({ expect }) => {
    const url = 'http://127.0.0.1:9/events'
    const create = (options: unknown) => () => createClient(chat, url, options as ClientOptions<Chat>)
    expect(create({ topics: ['room:1', 'room:x'] })).toThrow(
      expect.objectContaining({ code: 'INVALID_TOPIC', topic: 'room:x' }),
    )
    expect(create({ topics: 'room:1' })).toThrow(expect.objectContaining({ code: 'INVALID_OPTIONS' }))
    expect(create({ topics: 'room:1' })).toThrow("option 'topics' must be an array")
    expect(create({ ticket: 'ticket' })).toThrow("option 'ticket' must be a function")
  })

  it('reports a refused topic as TOPIC_REFUSED and asks for it no more; its other topics carry on', async (context) => {
    const { expect } = context
    const { serve, track } = fixtures(context)
    const server = await serve(async ({ res, request, n }) => {
      const refused = request.topics.filter((topic) => topic === 'room:9')
      const joined = request.topics.filter((topic) => topic !== 'room:9')
      await stream(
        res,
        hello(`${n}00`, joined),
        ...refused.map((topic) => control('herald:refused', { topic, reason: 'forbidden' })),
        message(`${n}01`, `hi ${n}`),
      )
      if (n === 0) res.end() // a drop: the client comes back without the refused topic
    })
    const { client, texts, errors } = track(server.url, { topics: ['room:1', 'room:9', 'room:2'] })
    await expect.poll(() => texts).toEqual(['hi 0', 'hi 1'])
    expect(errors.map(({ code, topic }) => ({ code, topic }))).toEqual([
      { code: 'TOPIC_REFUSED', topic: 'room:9' },
      { code: 'CONNECTION_LOST', topic: undefined },
    ])
    expect(errors[0]?.message).toContain('the server refused topic "room:9" (forbidden); its other topics carry on')
    expect(server.requests.map((request) => request.topics)).toEqual([
      ['room:1', 'room:9', 'room:2'],
      ['room:1', 'room:2'],
    ])
    expect(server.requests[1]?.lastEventId).toBe('001')
    expect(client.topics).toEqual(['room:1', 'room:2'])
    // Asking again is allowed: it is the application's choice.
    client.subscribe('room:9')
    await expect.poll(() => server.requests.at(-1)?.topics).toEqual(['room:1', 'room:2', 'room:9'])
  })

  it('reports each refusal reason in words, and one it cannot read without a topic', async (context) => {
    const { expect } = context
    const { serve, track } = fixtures(context)
    const server = await serve(({ res }) =>
      stream(
        res,
        hello('1', []),
        control('herald:refused', { topic: 'room:7', reason: 'invalid' }),
        control('herald:refused', { topic: 'room:8', reason: 'limit' }),
        control('herald:refused', { topic: 'room:9', reason: 'bogus' }),
        message('2', 'after'),
      ),
    )
    const { texts, errors } = track(server.url, { topics: ['room:7', 'room:8'] })
    await expect.poll(() => texts).toEqual(['after'])
    expect(errors.map(({ code, topic }) => ({ code, topic }))).toEqual([
      { code: 'TOPIC_REFUSED', topic: 'room:7' },
      { code: 'TOPIC_REFUSED', topic: 'room:8' },
      { code: 'TOPIC_REFUSED', topic: undefined },
    ])
    expect(errors[0]?.message).toContain('refused topic "room:7" (invalid)')
    expect(errors[1]?.message).toContain('refused topic "room:8" (limit)')
    expect(errors[2]?.message).toContain('refused a topic;')
  })

  it('reports a gap naming a topic as HISTORY_GAP for that topic, and one without as the whole stream’s', async (context) => {
    const { expect } = context
    const { serve, track } = fixtures(context)
    const server = await serve(({ res }) =>
      stream(
        res,
        hello(undefined, ['room:1', 'room:2']),
        control('herald:gap', { lastEventId: 'e-1-5', topic: 'room:1' }),
        control('herald:gap', { lastEventId: 'e-1-5' }),
        message('e-1-9', 'after'),
      ),
    )
    const { texts, errors } = track(server.url, { topics: ['room:1', 'room:2'], lastEventId: 'e-1-5' })
    await expect.poll(() => texts).toEqual(['after'])
    expect(server.requests[0]?.lastEventId).toBe('e-1-5')
    expect(errors.map(({ code, topic }) => ({ code, topic }))).toEqual([
      { code: 'HISTORY_GAP', topic: 'room:1' },
      { code: 'HISTORY_GAP', topic: undefined },
    ])
    expect(errors[0]?.message).toContain('every event of topic "room:1" after "e-1-5"')
    expect(errors[0]?.message).toContain("refetch that topic's state")
    expect(errors[1]?.message).toContain('every event after "e-1-5"; some were missed, refetch your state')
  })
})
