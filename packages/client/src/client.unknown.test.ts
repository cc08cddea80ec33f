import { defineEvents } from '@herald/schema'
import { afterEach, describe, expect, it } from 'vitest'
import * as z from 'zod'
import { createClient, type HeraldError } from './index.ts'
import { cleanups, serveHerald } from './test-herald-server.ts'
import { send, sseHead, useSseServer } from './test-sse-server.ts'

// A received event whose name is not in the client's contract is reported to onError as
// UNKNOWN_EVENT, named or not, and the stream goes on. Herald's own `herald:*` events are the
// protocol's, never reported, also ones this client does not know yet.

const events = defineEvents({ name: z.string(), age: z.number() })
const { srv } = useSseServer()
const jobs = cleanups()
afterEach(() => jobs.run())

function track(url: string) {
  const client = createClient(events, url)
  jobs.add(() => client.close())
  const received: [string, unknown][] = []
  const errors: HeraldError[] = []
  client.on('name', (name) => received.push(['name', name]))
  client.on('age', (age) => received.push(['age', age]))
  client.onError((error) => errors.push(error))
  return { client, received, errors }
}

describe('createClient: events outside the contract', () => {
  it("reports a named one ('event: mystery') as UNKNOWN_EVENT naming it, and keeps the stream", async () => {
    const url = srv.route('/mystery', async ({ res }) => {
      sseHead(res)
      await send(res, 'id: 1\nevent: mystery\ndata: {"x":1}\n\n')
      await send(res, 'id: 2\nevent: name\ndata: "after"\n\n')
    })
    const { client, received, errors } = track(url)
    await expect.poll(() => received).toEqual([['name', 'after']])
    expect(errors.map((error) => [error.code, error.event, error.message])).toEqual([
      ['UNKNOWN_EVENT', 'mystery', "event 'mystery': not in the event map"],
    ])
    expect(client.state).toBe('open')
    expect(client.lastEventId).toBe('2')
    expect(srv.hits('/mystery')).toHaveLength(1)
  })

  it('never reports herald:* control events, known or from a newer server', async () => {
    const url = srv.route('/control', async ({ res }) => {
      sseHead(res)
      await send(res, 'event: herald:hello\ndata: {"heartbeatMs":0,"retryMs":1000}\n\n')
      await send(res, 'event: herald:ping\ndata:\n\n')
      await send(res, 'event: herald:future\ndata: {}\n\n')
      await send(res, 'event: age\ndata: 3\n\n')
    })
    const { received, errors } = track(url)
    await expect.poll(() => received).toEqual([['age', 3]])
    expect(errors).toEqual([])
  })

  it('a Herald server with more events than the client knows: each unknown one reported, the rest delivered', async () => {
    // The server's contract grew (`score`); this client was built against the older one.
    const newer = defineEvents({ name: z.string(), age: z.number(), score: z.number() })
    const server = await serveHerald(newer)
    jobs.add(() => server.close())
    const { client, received, errors } = track(server.url)
    await expect.poll(() => server.channel.size).toBe(1)
    server.channel.emit('score', 10)
    server.channel.emit('age', 30)
    server.channel.emit('score', 11)
    server.channel.emit('name', 'Ann')
    await expect
      .poll(() => received)
      .toEqual([
        ['age', 30],
        ['name', 'Ann'],
      ])
    // The hello told it first: a compatible schema drift (docs/drift.md).
    expect(errors.map((error) => [error.code, error.event])).toEqual([
      ['SCHEMA_MISMATCH', undefined],
      ['UNKNOWN_EVENT', 'score'],
      ['UNKNOWN_EVENT', 'score'],
    ])
    expect(errors[0]?.drift).toMatchObject({ kind: 'compatible', events: { added: ['score'] } })
    expect(client.state).toBe('open')
    expect(server.requests).toHaveLength(1)
  })
})
