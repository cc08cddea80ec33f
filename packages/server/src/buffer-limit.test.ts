// The bound on unsent bytes, on a real server and a client that stops reading.
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { createBufferLimit } from './buffer-limit.ts'
import { type Connection, openConnection } from './connection.ts'
import { openRawSocket } from './test-raw-socket.ts'

const cleanup: (() => unknown)[] = []
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn()
})

/** A stream to a client that never reads; resolves with its connection. */
async function stalledConnection(): Promise<Connection> {
  let opened: (connection: Connection) => void = () => {}
  const connection = new Promise<Connection>((resolve) => {
    opened = resolve
  })
  const server = http.createServer((req, res) => opened(openConnection(req, res, Buffer.from(': hi\n\n'))))
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  cleanup.push(
    () => new Promise((resolve) => server.close(resolve)),
    () => server.closeAllConnections(),
  )
  const client = openRawSocket((server.address() as AddressInfo).port, { paused: true })
  cleanup.push(() => client.destroy())
  return connection
}

// A turn of the event loop as the limit takes one: a timer (edge runtimes have no setImmediate).
const turn = () => new Promise<void>((resolve) => setTimeout(resolve, 1))
const MiB = Buffer.alloc(1 << 20, 'x')

describe('buffer limit', () => {
  it('cuts a stream still over maxBufferedBytes after a turn of the event loop, not at once', async () => {
    const connection = await stalledConnection()
    const limit = createBufferLimit(64 * 1024)
    for (let n = 0; n < 16; n++) limit.send(connection, MiB)
    expect(connection.res.writableLength).toBeGreaterThan(64 * 1024)
    expect(connection.res.destroyed).toBe(false) // a burst is given a turn to reach the kernel
    await turn()
    expect(connection.res.destroyed).toBe(true)
  })

  it('leaves a stream whose unsent bytes stay within the bound', async () => {
    const connection = await stalledConnection()
    const limit = createBufferLimit(64 << 20)
    for (let n = 0; n < 16; n++) limit.send(connection, MiB)
    await turn()
    await turn()
    expect(connection.res.destroyed).toBe(false)
  })

  it('forgets an ended stream: a later sweep does not touch it', async () => {
    const connection = await stalledConnection()
    const limit = createBufferLimit(64 * 1024)
    for (let n = 0; n < 16; n++) limit.send(connection, MiB)
    limit.forget(connection)
    await turn()
    expect(connection.res.destroyed).toBe(false)
  })
})
