import http from 'node:http'
import type { AddressInfo } from 'node:net'
import compressFastify from '@fastify/compress'
import { defineEvents } from '@herald/schema'
import Fastify from 'fastify'
import { expect, it } from 'vitest'
import * as z from 'zod'
import { createChannel } from './channel.ts'
import { useCleanup } from './test-server.ts'

// What `reply.hijack()` does to Fastify's lifecycle around a Herald stream (docs/servers.md):
// hooks before the handler run as for any route; onSend (where @fastify/compress compresses) never
// does; onResponse runs only when the server ends the stream, and onRequestAbort when the client
// leaves.

const events = defineEvents({ n: z.number() })
const defer = useCleanup()
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

async function serve() {
  const channel = createChannel(events, { heartbeatMs: 0 })
  const app = Fastify()
  await app.register(compressFastify, { global: true, threshold: 0 })
  const hooks: string[] = []
  app.addHook('onRequest', async () => void hooks.push('onRequest'))
  app.addHook('preHandler', async () => void hooks.push('preHandler'))
  app.addHook('onSend', async (_request, _reply, payload) => {
    hooks.push('onSend')
    return payload
  })
  app.addHook('onResponse', async () => void hooks.push('onResponse'))
  app.addHook('onRequestAbort', async (_request) => void hooks.push('onRequestAbort'))
  app.get('/events', (request, reply) => {
    reply.hijack()
    channel.handle(request.raw, reply.raw)
  })
  await app.listen({ port: 0, host: '127.0.0.1' })
  defer(async () => {
    await channel.close()
    app.server.closeAllConnections()
    await app.close()
  })
  const { port } = app.server.address() as AddressInfo
  return { channel, hooks, url: `http://127.0.0.1:${port}/events` }
}

function get(url: string, method = 'GET'): Promise<http.IncomingMessage> {
  return new Promise((resolve, reject) => {
    const request = http.request(url, { method, agent: false, headers: { 'accept-encoding': 'gzip' } }, resolve)
    request.on('error', reject)
    defer(() => request.destroy())
    request.end()
  })
}

it('runs onRequest and preHandler, never onSend; onRequestAbort when the client leaves', async () => {
  const { channel, hooks, url } = await serve()
  const response = await get(url)
  expect(response.headers['content-encoding']).toBeUndefined()
  expect(channel.size).toBe(1)
  response.destroy()
  await expect.poll(() => channel.size).toBe(0)
  await sleep(50)
  expect(hooks).toEqual(['onRequest', 'preHandler', 'onRequestAbort'])
})

it('runs onResponse once the server ends the stream', async () => {
  const { channel, hooks, url } = await serve()
  const response = await get(url)
  response.resume()
  await channel.close()
  await new Promise((resolve) => response.once('end', resolve))
  await expect.poll(() => hooks).toEqual(['onRequest', 'preHandler', 'onResponse'])
})

it('a GET route answers HEAD through the handler, and POST with its own 404', async () => {
  const { url } = await serve()
  const head = await get(url, 'HEAD')
  expect([head.statusCode, head.headers['content-type']]).toEqual([200, 'text/event-stream; charset=utf-8'])
  const post = await get(url, 'POST')
  expect(post.statusCode).toBe(404)
})
