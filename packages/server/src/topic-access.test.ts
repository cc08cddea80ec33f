import { defineEvents, HeraldError } from '@herald/schema'
import { describe, expect, it } from 'vitest'
import * as z from 'zod'
import { requestedTopics, resolveTopics, type TopicAccess } from './topic-access.ts'

const events = defineEvents(
  { note: z.string() },
  { topics: { user: z.string().regex(/^[a-z0-9]+$/), room: z.int().positive() } },
)
type Events = typeof events
interface Context {
  readonly user: string
}
const ctx: Context = { user: 'ann' }

const resolve = (access: TopicAccess<Events, Context>, requested: string[], allowed?: string[]) => {
  const errors: unknown[] = []
  const result = resolveTopics(events, ctx, access, {
    requested,
    allowed: allowed === undefined ? undefined : new Set(allowed),
    onError: (error) => errors.push(error),
  })
  return { result, errors }
}

describe('requestedTopics', () => {
  it('reads every topic parameter, decoded, in order; never throws', () => {
    expect(requestedTopics('/events')).toEqual([])
    expect(requestedTopics(undefined)).toEqual([])
    expect(requestedTopics('/events?lastEventId=1-2')).toEqual([])
    expect(requestedTopics('/events?topic=room:1&x=1&topic=user%3Aann&topic=')).toEqual(['room:1', 'user:ann', ''])
    expect(requestedTopics('/events?topic=%E0%A4%A&topic=%')).toEqual(['\uFFFD%A', '%'])
    expect(requestedTopics('/events?mytopic=room:1')).toEqual([])
  })
})

describe('resolveTopics', () => {
  it('joins the server’s topics without asking authorize, and refuses every client topic without an authorize', async () => {
    const { result } = resolve({ topics: (context) => [`user:${context.user}`] }, ['room:1', 'user:bob'])
    expect(await result).toEqual({
      topics: ['user:ann'],
      refused: [
        { topic: 'room:1', reason: 'forbidden' },
        { topic: 'user:bob', reason: 'forbidden' },
      ],
    })
  })

  it('asks authorize for each client topic once; false, a throw and a rejection refuse it; the throws are told', async () => {
    const asked: string[] = []
    const boom = new Error('boom')
    const { result, errors } = resolve(
      {
        topics: async () => ['user:ann'],
        authorize: async (context, topic) => {
          asked.push(topic)
          await new Promise((resolve) => setTimeout(resolve, 1))
          if (topic === 'room:3') throw boom
          if (topic === 'room:4') return Promise.reject(boom)
          if (topic === 'room:5') return 'yes' as never // only true allows
          return topic === 'room:1' || (topic === 'user:bob' && context.user === 'ann')
        },
      },
      ['room:1', 'room:2', 'room:1', 'user:ann', 'room:3', 'room:4', 'room:5', 'user:bob'],
    )
    expect(await result).toEqual({
      topics: ['user:ann', 'room:1', 'user:bob'],
      refused: [
        { topic: 'room:2', reason: 'forbidden' },
        { topic: 'room:3', reason: 'forbidden' },
        { topic: 'room:4', reason: 'forbidden' },
        { topic: 'room:5', reason: 'forbidden' },
      ],
    })
    // The server's own topic is not asked about again, a repeated one once.
    expect(asked).toEqual(['room:1', 'room:2', 'room:3', 'room:4', 'room:5', 'user:bob'])
    expect(errors).toEqual([boom, boom])
  })

  it('a synchronous authorize that throws refuses its topic only', async () => {
    const { result, errors } = resolve(
      {
        authorize: (_, topic) => {
          if (topic === 'room:2') throw new TypeError('sync')
          return true
        },
      },
      ['room:1', 'room:2', 'room:3'],
    )
    expect(await result).toEqual({ topics: ['room:1', 'room:3'], refused: [{ topic: 'room:2', reason: 'forbidden' }] })
    expect(errors).toHaveLength(1)
  })

  it('refuses a topic the contract does not declare as invalid, without asking authorize', async () => {
    const asked: string[] = []
    const invalid = ['room:042', 'room:0', 'chat:1', 'room', '', 'user:Ann', 'room:1\n', `user:${'a'.repeat(200)}`]
    const { result } = resolve({ authorize: (_, topic) => asked.push(topic) > 0 }, [...invalid, 'room:1'])
    const { topics, refused } = await result
    expect(topics).toEqual(['room:1'])
    expect(refused).toEqual(invalid.map((topic) => ({ topic, reason: 'invalid' })))
    expect(asked).toEqual(['room:1'])
  })

  it('refuses the topics past maxTopics (100 by default) as limit; the server’s topics do not count', async () => {
    const many = Array.from({ length: 103 }, (_, n) => `room:${n + 1}`)
    const { result } = resolve({ topics: () => ['user:ann'], authorize: () => true }, many)
    const { topics, refused } = await result
    expect(topics).toEqual(['user:ann', ...many.slice(0, 100)])
    expect(refused).toEqual(many.slice(100).map((topic) => ({ topic, reason: 'limit' })))
    const two = await resolve({ authorize: () => true, maxTopics: 2 }, ['room:1', 'room:2', 'room:3']).result
    expect(two).toEqual({ topics: ['room:1', 'room:2'], refused: [{ topic: 'room:3', reason: 'limit' }] })
  })

  it('with a ticket, refuses a topic outside it as forbidden before authorize is asked', async () => {
    const asked: string[] = []
    const { result } = resolve({ authorize: (_, topic) => asked.push(topic) > 0 }, ['room:1', 'room:2'], ['room:1'])
    expect(await result).toEqual({ topics: ['room:1'], refused: [{ topic: 'room:2', reason: 'forbidden' }] })
    expect(asked).toEqual(['room:1'])
  })

  it('throws INVALID_TOPIC for a server topic the contract does not declare, naming it', async () => {
    const { result } = resolve({ topics: () => ['user:Not Valid' as never] }, [])
    const error = await result.catch((thrown: unknown) => thrown)
    expect(error).toBeInstanceOf(HeraldError)
    expect(error).toMatchObject({ code: 'INVALID_TOPIC', topic: 'user:Not Valid' })
  })

  it('shows a refused topic cut to 256 characters', async () => {
    const long = `room:${'9'.repeat(10_000)}`
    const { refused } = await resolve({}, [long]).result
    expect(refused).toEqual([{ topic: long.slice(0, 256), reason: 'invalid' }])
  })
})
