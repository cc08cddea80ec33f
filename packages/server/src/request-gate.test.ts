// The checks in front of every stream, on a real node:http server and raw sockets.
import http from 'node:http'
import { type AddressInfo, connect } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { createAdmission } from './admission.ts'
import { createReplayBudget } from './replay-budget.ts'
import { type Admitted, createRequestGate, type RequestGateOptions } from './request-gate.ts'

const cleanup: (() => unknown)[] = []
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn()
})

/** A server that asks the gate about every request and opens a bare stream for those admitted. */
async function serve(options: Partial<RequestGateOptions> = {}) {
  const admission = createAdmission({ maxConnections: 1, maxConnectionsPerClient: 1, clientKey: () => 'k' })
  const admitted: (Admitted | undefined)[] = []
  let ended = 0
  const gate = createRequestGate({
    admission,
    replays: createReplayBudget({ events: 0, windowMs: 1000, now: () => 0 }),
    retryMs: 1000,
    busyRetryMs: 5000,
    closed: () => false,
    ...options,
  })
  const server = http.createServer((req, res) => {
    const result = gate.admit(req, res, () => ended++)
    admitted.push(result)
    if (result !== undefined) res.writeHead(200).write(': open\n\n')
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  cleanup.push(
    () => new Promise((resolve) => server.close(resolve)),
    () => server.closeAllConnections(),
  )
  const port = (server.address() as AddressInfo).port
  /** Sends a raw request; resolves with what came back once `done` says so. */
  const send = (head: string, done: (text: string) => boolean) => {
    const socket = connect({ port, host: '127.0.0.1' })
    cleanup.push(() => socket.destroy())
    socket.on('error', () => {})
    socket.setEncoding('latin1')
    let text = ''
    return new Promise<{ text: string; close: () => void }>((resolve) => {
      const check = () => done(text) && resolve({ text, close: () => socket.destroy() })
      socket.on('data', (chunk: string) => {
        text += chunk
        check()
      })
      socket.on('close', () => resolve({ text, close: () => {} }))
      socket.write(head)
    })
  }
  return { admission, admitted, send, ended: () => ended }
}

const GET = (extra = '') => `GET /events HTTP/1.1\r\nHost: x\r\n${extra}\r\n`

describe('request gate', () => {
  it('admits a GET, holds its slot until the stream ends, then runs onEnd once', async () => {
    const { admission, admitted, send, ended } = await serve()
    const stream = await send(GET(), (text) => text.includes(': open'))
    expect(admitted).toEqual([{ key: 'k', lastEventId: undefined }])
    expect(admission.open).toBe(1)
    stream.close()
    await expect.poll(() => ended()).toBe(1)
    expect(admission.open).toBe(0)
  })

  it('reads the resume point from Last-Event-ID, else the query; an empty one is none', async () => {
    const { admitted, send } = await serve()
    ;(await send(GET('Last-Event-ID: a-1-2\r\n'), (text) => text.includes(': open'))).close()
    await expect.poll(() => admitted.length).toBe(1)
    const query = `GET /events?lastEventId=b-1-2 HTTP/1.1\r\nHost: x\r\n\r\n`
    ;(await send(query, (text) => text.includes(': open'))).close()
    ;(await send(GET('Last-Event-ID: \r\n'), (text) => text.includes(': open'))).close()
    expect(admitted.map((one) => one?.lastEventId)).toEqual(['a-1-2', 'b-1-2', undefined])
  })

  it('HEAD gets stream headers, other methods 405; neither holds a slot', async () => {
    const { admission, admitted, send } = await serve()
    const head = await send('HEAD /events HTTP/1.1\r\nHost: x\r\n\r\n', (text) => text.includes('\r\n\r\n'))
    expect(head.text).toMatch(/^HTTP\/1\.1 200 OK\r\n/)
    expect(head.text.toLowerCase()).toContain('content-type: text/event-stream')
    const post = await send('POST /events HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n', (text) =>
      text.includes('\r\n\r\n'),
    )
    expect(post.text).toMatch(/^HTTP\/1\.1 405 /)
    expect(post.text.toLowerCase()).toContain('allow: get, head')
    expect(admitted).toEqual([undefined, undefined])
    expect(admission.open).toBe(0)
  })

  it('over the limit: herald:busy with the busy retry; a closed channel: its retry only', async () => {
    const { send } = await serve()
    await send(GET(), (text) => text.includes(': open'))
    const busy = await send(GET(), (text) => text.includes('\n\n'))
    expect(busy.text.toLowerCase()).toContain('herald-refused: busy')
    expect(busy.text).toMatch(/retry: [5-9]\d{3}\nevent: herald:busy\ndata: \{"retryMs":\d+\}\n\n/)
    const closed = await serve({ closed: () => true })
    const late = await closed.send(GET(), (text) => text.includes('\n\n'))
    expect(late.text.toLowerCase()).toContain('herald-refused: closed')
    expect(late.text).toMatch(/\r\n\r\n[0-9a-f]+\r\nretry: 1\d{3}\n\n/)
    expect(closed.admitted).toEqual([undefined])
  })

  it('a client whose replay budget is spent is turned away until it refills; one not resuming is not', async () => {
    let now = 0
    const replays = createReplayBudget({ events: 10, windowMs: 60_000, now: () => now })
    replays.charge('k', 10)
    const { admission, admitted, send } = await serve({ replays, busyRetryMs: 0 })
    const busy = await send(GET('Last-Event-ID: a-1-2\r\n'), (text) => text.includes('\n\n'))
    // 1 event refills in 6 s: the wait is jittered over [6000, 12000).
    expect(Number(/retry: (\d+)/.exec(busy.text)?.[1])).toBeGreaterThanOrEqual(6000)
    expect(admission.open).toBe(0)
    ;(await send(GET(), (text) => text.includes(': open'))).close()
    now = 6000
    await expect.poll(() => admission.open).toBe(0)
    await send(GET('Last-Event-ID: a-1-2\r\n'), (text) => text.includes(': open'))
    expect(admitted.map((one) => one?.lastEventId)).toEqual([undefined, undefined, 'a-1-2'])
  })

  it('a request pipelined behind a stream closes the socket: its answer could never come', async () => {
    const { admitted, send } = await serve()
    await send(GET() + GET(), () => false) // resolves when the socket closes
    expect(admitted).toEqual([{ key: 'k', lastEventId: undefined }, undefined])
  })
})
