import type { Server } from 'node:http'
import { type AddressInfo, connect, type Socket } from 'node:net'
import { defineEvents } from '@herald/schema'
import Router from '@koa/router'
import Koa from 'koa'
import { describe, expect, it } from 'vitest'
import * as z from 'zod'
import { createChannel } from './channel.ts'
import { sse } from './koa.ts'
import { openRawSocket } from './test-raw-socket.ts'
import { useCleanup } from './test-server.ts'
import type { Channel } from './types.ts'

// Clients that leave at awkward moments: half-way through Node closing their socket, or while
// middleware in front of the stream is still busy. Neither may raise an error in the app or leave
// a connection (and its admission slot) behind.

const events = defineEvents({ n: z.number() })
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

const defer = useCleanup()

/** A Koa app with the stream at `/events`, and at `/slow` behind middleware that waits 30 ms. */
async function serve(channel: Channel<typeof events>) {
  const app = new Koa()
  const errors: Error[] = []
  app.on('error', (error: Error) => errors.push(error))
  const router = new Router()
  router.get('/events', sse(channel))
  router.get('/slow', (_ctx, next) => sleep(30).then(next), sse(channel))
  app.use(router.routes())
  const server: Server = app.listen(0, '127.0.0.1')
  await new Promise((resolve) => server.once('listening', resolve))
  defer(async () => {
    await channel.close()
    server.closeAllConnections()
    await new Promise((resolve) => server.close(resolve))
  })
  return { server, errors, port: (server.address() as AddressInfo).port }
}

/** Sends `GET path` and, with `thenEnd`, half-closes the socket (a FIN) right after it. */
function request(port: number, path: string, thenEnd = false): Socket {
  const socket = connect({ port, host: '127.0.0.1' })
  socket.on('error', () => {})
  const head = `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`
  if (thenEnd) socket.end(head)
  else socket.write(head)
  defer(() => socket.destroy())
  return socket
}

const codes = (errors: Error[]) => errors.map((error) => (error as NodeJS.ErrnoException).code ?? error.message)

describe('a client that leaves at an awkward moment', () => {
  it('half-closing as an event goes out: no write after end, the connection is released, others get it', async () => {
    const channel = createChannel(events, { heartbeatMs: 0 })
    const { server, errors, port } = await serve(channel)
    const bystander = openRawSocket(port)
    defer(() => bystander.destroy())
    await bystander.until((stream) => stream.head.includes('herald:hello'))
    // Node ends a socket whose client sent a FIN at once, and closes it a turn later: the emit
    // below is flushed in between, while the stream is still in the channel.
    server.on('connection', (socket: Socket) => socket.once('end', () => channel.emit('n', 1)))
    const leaving = request(port, '/events')
    await new Promise((resolve) => leaving.once('data', resolve))
    expect(channel.size).toBe(2)
    leaving.end()
    await bystander.until((stream) => stream.events === 1)
    await new Promise((resolve) => leaving.once('close', resolve))
    await sleep(20) // for an error raised on the server's side of the socket to reach the app
    expect(codes(errors)).toEqual([])
    expect(channel.size).toBe(1)
  })

  it('gone before the stream opens: never counted as open, so its admission slot is free again', async () => {
    const channel = createChannel(events, { heartbeatMs: 0, maxConnections: 1 })
    const { errors, port } = await serve(channel)
    const gone = request(port, '/slow', true)
    await new Promise((resolve) => gone.once('close', resolve))
    await sleep(60) // the middleware in front of the stream is done by now
    expect(channel.size).toBe(0)
    // With maxConnections 1, a leaked slot would turn this client away.
    const next = openRawSocket(port)
    defer(() => next.destroy())
    await next.until((stream) => stream.head.includes('herald:hello'))
    expect(next.head).not.toContain('herald:busy')
    channel.emit('n', 2)
    await next.until((stream) => stream.events === 1)
    expect(codes(errors)).toEqual([])
  })
})
