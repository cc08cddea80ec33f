import type http from 'node:http'
import { defineEvents } from '@herald/schema'
import Router from '@koa/router'
import Koa from 'koa'
import { describe, expect, it } from 'vitest'
import * as z from 'zod'
import { createChannel } from './channel.ts'
import { sse } from './koa.ts'
import { useCleanup } from './test-server.ts'
import { connect } from './testing.ts'

// The testing kit against an app: the request goes through the app's routing, authentication and
// topic access (Koa here, plain node:http below) before it reaches the channel.

const events = defineEvents(
  { message: z.object({ from: z.string(), text: z.string() }), notice: z.string() },
  { topics: { user: z.string().regex(/^[a-z]+$/), room: z.int().positive() } },
)

const defer = useCleanup()

function app() {
  const channel = createChannel(events)
  defer(() => channel.close())
  const router = new Router()
  router.get(
    '/events',
    async (ctx, next) => {
      const user = ctx.get('x-user')
      if (user === '') ctx.throw(401, 'who are you?')
      ctx.state['user'] = user
      await next()
    },
    sse(channel, {
      topics: (ctx) => [`user:${ctx.state['user']}`],
      // Async, as a database lookup would be: the stream opens once it answered.
      authorize: async (_ctx, topic) => topic === 'room:1',
    }),
  )
  const koa = new Koa()
  koa.silent = true // the 401 above is expected, not a log line
  koa.use(router.routes())
  return { channel, handler: koa.callback() }
}

describe('connect(handler, events)', () => {
  it("runs the app's middleware: its own topics, authorize, refusals", async () => {
    const { channel, handler } = app()
    const stream = await connect(handler, events, {
      path: '/events',
      headers: { 'x-user': 'ada' },
      topics: ['room:1', 'room:2'],
    })
    expect(stream.topics).toEqual(['user:ada', 'room:1'])
    expect(stream.refused).toEqual([{ topic: 'room:2', reason: 'forbidden' }])
    expect(await stream.control('herald:refused')).toEqual({ topic: 'room:2', reason: 'forbidden' })
    channel.to('room:2').emit('notice', 'not for ada')
    channel.to('user:ada').emit('notice', 'for ada')
    channel.to('room:1').emit('message', { from: 'bob', text: 'hi' })
    expect(await stream.next('notice')).toBe('for ada')
    expect(await stream.next('message')).toEqual({ from: 'bob', text: 'hi' })
  })

  it('rejects with CONNECTION_FAILED, the status and the body when the app answers no stream', async () => {
    const { handler } = app()
    await expect(connect(handler, events, { path: '/events' })).rejects.toMatchObject({
      code: 'CONNECTION_FAILED',
      status: 401,
      message: 'connect(): /events answered 401 text/plain; charset=utf-8, not an event stream: who are you?',
    })
    await expect(connect(handler, events, { path: '/nowhere' })).rejects.toMatchObject({ status: 404 })
  })

  it('serves a plain node:http listener, and fails the connect when the handler throws', async () => {
    const channel = createChannel(events, { heartbeatMs: 0 })
    defer(() => channel.close())
    const listener: http.RequestListener = (req, res) => channel.handle(req, res, { topics: ['room:7'] })
    const stream = await connect(listener, events)
    expect(stream.topics).toEqual(['room:7'])
    await expect(
      connect(() => {
        throw new Error('boom')
      }, events),
    ).rejects.toThrow('boom')
    await expect(connect(async () => Promise.reject(new Error('async boom')), events)).rejects.toThrow('async boom')
  })
})
