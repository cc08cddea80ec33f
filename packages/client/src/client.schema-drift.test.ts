import type { AddressInfo } from 'node:net'
import { type AnyEvents, defineEvents, type HeraldError, text } from '@herald/schema'
import { type Channel, createChannel } from '@herald/server'
import { type SseOptions, sse } from '@herald/server/koa'
import Koa from 'koa'
import { describe, expect, it, type TestContext } from 'vitest'
import * as z from 'zod'
import { createClient } from './index.ts'
import { cleanups } from './test-herald-server.ts'
import { until } from './test-topic-herald.ts'

// Schema drift end to end: a real Koa server whose channel advertises its contract in the hello,
// and Herald's client (Herald's EventSource, Node's) built from another contract, as a tab left
// open across a deploy is. The server's contract can be switched, as a deploy behind the same URL.

/** What the client was built with: version 1. */
const v1 = defineEvents(
  { name: z.string(), age: z.number().int(), line: text(z.string()) },
  { topics: { room: z.int().positive() } },
)
/** Version 2, breaking: `age` became an object. */
const v2 = defineEvents(
  { name: z.string(), age: z.object({ years: z.int() }), line: text(z.string()) },
  { topics: { room: z.int().positive() } },
)
/** Version 1 plus an event: compatible. */
const v1plus = defineEvents(
  { name: z.string(), age: z.number().int(), line: text(z.string()), score: z.number() },
  { topics: { room: z.int().positive() } },
)
/** Version 1 defined again, in another key order, in another object: the same contract. */
const v1again = defineEvents(
  { line: text(z.string()), age: z.number().int(), name: z.string() },
  { topics: { room: z.int().positive() } },
)

function fixtures({ onTestFinished }: TestContext) {
  const jobs = cleanups()
  onTestFinished(() => jobs.run())

  /** Serves `events` at /events; `deploy` swaps the channel behind the URL and cuts open streams. */
  async function serve(events: AnyEvents, options: SseOptions<AnyEvents> = {}) {
    const open = (contract: AnyEvents) => {
      const channel = createChannel(contract, { heartbeatMs: 0, retryMs: 20 })
      jobs.add(() => channel.close())
      return { channel: channel as Channel<AnyEvents>, stream: sse(channel, options) }
    }
    let current = open(events)
    const app = new Koa()
    app.use((ctx, next) => (ctx.path === '/events' ? current.stream(ctx, next) : next()))
    const server = app.listen(0, '127.0.0.1')
    await new Promise<void>((resolve) => server.once('listening', resolve))
    jobs.add(
      () =>
        new Promise<void>((resolve) => {
          server.closeAllConnections()
          server.close(() => resolve())
        }),
    )
    const { port } = server.address() as AddressInfo
    return {
      url: `http://127.0.0.1:${port}/events`,
      get channel() {
        return current.channel
      },
      /** Puts `contract` behind the URL; the old channel's close sends its clients to the new one. */
      async deploy(contract: AnyEvents) {
        const old = current
        current = open(contract)
        await old.channel.close()
      },
    }
  }

  /** A client of `events` that records its errors, names and ages. */
  function track(events: typeof v1, url: string, topics: `room:${number}`[] = []) {
    const client = createClient(events, url, { topics })
    jobs.add(() => client.close())
    const errors: HeraldError[] = []
    const names: string[] = []
    let opens = 0
    client.onError((error) => errors.push(error))
    client.onOpen(() => opens++)
    client.on('name', (name) => names.push(name))
    client.on('age', () => {}) // decoded only when listened to
    const mismatches = () => errors.filter((error) => error.code === 'SCHEMA_MISMATCH')
    return { client, errors, names, mismatches, opens: () => opens }
  }

  return { serve, track }
}

describe('schema drift, end to end', () => {
  it('a client built from an older contract gets one breaking SCHEMA_MISMATCH naming the event; the stream carries on', async (context) => {
    const { serve, track } = fixtures(context)
    const server = await serve(v2)
    const { errors, names, mismatches } = track(v1, server.url)
    await until(() => mismatches().length > 0)
    const [mismatch] = mismatches()
    expect(mismatch?.drift).toMatchObject({
      kind: 'breaking',
      events: { changed: ['age'], added: [], removed: [] },
      topicKinds: { changed: [], added: [], removed: [] },
    })
    expect(mismatch?.event).toBe('age')
    expect(mismatch?.message).toContain('breaking')
    expect(mismatch?.message).toContain('"age"')
    expect(mismatch?.message).toContain(server.url)
    // The stream carries on; decoding is as before: the event both agree on arrives, the other fails.
    server.channel.emit('age', { years: 3 })
    server.channel.emit('name', 'Ada')
    await until(() => names.length > 0)
    expect(names).toEqual(['Ada'])
    expect(errors.map((error) => error.code)).toEqual(['SCHEMA_MISMATCH', 'DECODE_FAILED'])
  })

  it('a client that lacks a newly added event gets the compatible kind', async (context) => {
    const { serve, track } = fixtures(context)
    const server = await serve(v1plus)
    const { mismatches } = track(v1, server.url)
    await until(() => mismatches().length > 0)
    expect(mismatches()[0]?.drift).toMatchObject({
      kind: 'compatible',
      events: { changed: [], added: ['score'], removed: [] },
    })
    expect(mismatches()[0]?.message).toContain('compatible')
    expect(mismatches()[0]?.message).toContain('"score"')
  })

  it('no false positive for the same contract, also with topics and text events, built twice', async (context) => {
    const { serve, track } = fixtures(context)
    const server = await serve(v1again, { topics: () => ['room:1'] })
    const { client, errors, names } = track(v1, server.url)
    await until(() => client.topics.length > 0)
    expect(client.topics).toEqual(['room:1'])
    server.channel.emit('line', 'a line')
    server.channel.to('room:1').emit('name', 'Ada')
    await until(() => names.length > 0)
    expect(errors).toEqual([])
  })

  it('reports once per change of the server contract, not on every reconnect', async (context) => {
    const { serve, track } = fixtures(context)
    const server = await serve(v2)
    const { mismatches, opens } = track(v1, server.url)
    await until(() => mismatches().length === 1)
    // A reconnect to the same contract: not reported again.
    await server.deploy(v2)
    await until(() => opens() === 2)
    // Back in step (a rollback), then the breaking deploy again: reported again.
    await server.deploy(v1again)
    await until(() => opens() === 3)
    expect(mismatches()).toHaveLength(1)
    await server.deploy(v2)
    await until(() => mismatches().length === 2)
    // Then a compatible deploy: a change, so reported, with its own kind.
    await server.deploy(v1plus)
    await until(() => mismatches().length === 3)
    expect(mismatches().map((error) => error.drift?.kind)).toEqual(['breaking', 'breaking', 'compatible'])
    expect(opens()).toBe(5)
  })
})
