import { once } from 'node:events'
import http, { type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { defineEvents } from '@herald/schema'
import { serve } from '@hono/node-server'
import Router from '@koa/router'
import express from 'express'
import { Hono } from 'hono'
import Koa from 'koa'
import { describe, expect, it } from 'vitest'
import * as z from 'zod'
import { createChannel } from './channel.ts'
import { sse as fetchSse } from './fetch.ts'
import { sse as koaSse } from './koa.ts'
import { useCleanup } from './test-server.ts'
import type { Channel } from './types.ts'

// The stream mounted with each framework's GET-only route instead of `all` (docs/servers.md):
// HEAD still reaches Herald (each framework routes it to GET handlers), but another method gets
// the framework's own 404, not Herald's 405 with `Allow: GET, HEAD`.

const events = defineEvents({ n: z.number() })
type Channelled = Channel<typeof events>
const defer = useCleanup()

const mounts: { name: string; listen: (channel: Channelled) => Server }[] = [
  {
    name: 'Koa (router.get)',
    listen: (channel) => {
      const router = new Router()
      router.get('/events', koaSse(channel))
      return new Koa().use(router.routes()).listen(0, '127.0.0.1')
    },
  },
  {
    name: 'Express (app.get)',
    listen: (channel) => {
      const app = express()
      app.get('/events', (req, res) => channel.handle(req, res))
      return app.listen(0, '127.0.0.1')
    },
  },
  {
    name: 'Hono (app.get)',
    listen: (channel) => {
      const stream = fetchSse(channel)
      const app = new Hono().get('/events', (c) => stream(c.req.raw))
      return serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }) as Server
    },
  },
]

function request(url: string, method: string): Promise<http.IncomingMessage> {
  return new Promise((resolve, reject) => {
    const sent = http.request(url, { method, agent: false }, resolve).on('error', reject)
    defer(() => sent.destroy())
    sent.end()
  })
}

describe.each(mounts)('$name', ({ listen }) => {
  it('answers HEAD with the stream headers, and POST with its own 404', async () => {
    const channel = createChannel(events, { heartbeatMs: 0 })
    const server = listen(channel)
    if (!server.listening) await once(server, 'listening')
    defer(async () => {
      await channel.close()
      server.closeAllConnections()
      await new Promise((resolve) => server.close(resolve))
    })
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/events`
    const head = await request(url, 'HEAD')
    expect([head.statusCode, head.headers['content-type']]).toEqual([200, 'text/event-stream; charset=utf-8'])
    const post = await request(url, 'POST')
    expect(post.statusCode).toBe(404)
  })
})
