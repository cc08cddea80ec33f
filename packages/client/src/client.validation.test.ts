import { defineEvents, text } from '@herald/schema'
import { afterEach, describe, expect, it } from 'vitest'
import * as z from 'zod'
import { type AnyEvents, createClient, type HeraldClient, type HeraldError } from './index.ts'
import { send, sseHead, useSseServer } from './test-sse-server.ts'

// Client-side validation: a plain node:http server writes crafted SSE that no Herald channel
// would send, and the client must reject it without losing the rest of the stream.

const events = defineEvents({
  name: z.string(),
  age: z.number(),
  count: text(z.coerce.number()),
  user: z.object({ name: z.string(), age: z.number() }),
})

const { srv } = useSseServer()
const clients: HeraldClient<AnyEvents>[] = []
afterEach(() => {
  for (const client of clients.splice(0)) client.close()
})

/** Serves `blocks` at `path`, one write each, then keeps the stream open. */
function serve(path: string, blocks: string[]): string {
  return srv.route(path, async ({ res }) => {
    sseHead(res)
    for (const block of blocks) await send(res, block)
  })
}

/** A client of `url` that records every payload its listeners get and every error. */
function listen<TEvents extends AnyEvents>(contract: TEvents, url: string) {
  const client = createClient(contract, url)
  clients.push(client)
  const received: [string, unknown][] = []
  const errors: HeraldError[] = []
  client.onError((error) => errors.push(error))
  for (const name of contract.names) {
    client.on(name, (payload, meta) => received.push([meta.name, payload]))
  }
  return { client, received, errors }
}

describe('createClient: validation of received events', () => {
  it('reports bad JSON as DECODE_FAILED naming the event, and keeps delivering', async () => {
    const url = serve('/bad-json', [
      'event: age\ndata: {oops\n\n',
      'event: age\ndata: 25\n\n',
      'event: name\ndata: "Bob"\n\n',
    ])
    const { received, errors } = listen(events, url)
    await expect.poll(() => received).toHaveLength(2)
    expect(received).toEqual([
      ['age', 25],
      ['name', 'Bob'],
    ])
    expect(errors).toHaveLength(1)
    expect(errors[0]).toMatchObject({ code: 'DECODE_FAILED', event: 'age', issues: [] })
    expect(errors[0]?.message).toMatch(/^event 'age': invalid JSON/)
  })

  it('reports a schema mismatch as DECODE_FAILED with the zod issues', async () => {
    const url = serve('/mismatch', ['event: age\ndata: "24"\n\n', 'event: age\ndata: 24\n\n'])
    const { received, errors } = listen(events, url)
    await expect.poll(() => received).toEqual([['age', 24]])
    expect(errors).toHaveLength(1)
    expect(errors[0]).toMatchObject({ code: 'DECODE_FAILED', event: 'age' })
    expect(errors[0]?.message).toBe("event 'age': expected number, received string")
    expect(errors[0]?.issues).toEqual([expect.objectContaining({ code: 'invalid_type', expected: 'number', path: [] })])
  })

  it('names the path of a nested mismatch', async () => {
    const url = serve('/nested', ['event: user\ndata: {"name":"Ann","age":"x"}\n\n', 'event: name\ndata: "end"\n\n'])
    const { received, errors } = listen(events, url)
    await expect.poll(() => received).toEqual([['name', 'end']])
    expect(errors[0]?.message).toBe("event 'user': expected number, received string at 'age'")
    expect(errors[0]?.issues.map((issue) => issue.path)).toEqual([['age']])
  })

  it('rejects a text() event its coercing schema cannot read', async () => {
    const url = serve('/text', ['event: count\ndata: abc\n\n', 'event: count\ndata: 7\n\n'])
    const { received, errors } = listen(events, url)
    await expect.poll(() => received).toEqual([['count', 7]])
    expect(errors.map((error) => [error.code, error.event])).toEqual([['DECODE_FAILED', 'count']])
  })

  it('reports an unnamed message as UNKNOWN_EVENT when the contract has no message event', async () => {
    const url = serve('/unnamed', ['data: hello\n\n', 'event: name\ndata: "after"\n\n'])
    const { received, errors } = listen(events, url)
    await expect.poll(() => received).toEqual([['name', 'after']])
    expect(errors).toHaveLength(1)
    expect(errors[0]).toMatchObject({ code: 'UNKNOWN_EVENT', event: 'message' })
  })

  it('never calls a listener with an invalid payload', async () => {
    const bad = ['null', '"24"', '{}', '[24]', 'true', '{"age":24}', '24 24']
    const url = serve('/never-invalid', [
      ...bad.map((data) => `event: age\ndata: ${data}\n\n`),
      'event: age\ndata: 1\n\n',
    ])
    const { received, errors } = listen(events, url)
    await expect.poll(() => received).toEqual([['age', 1]])
    expect(errors).toHaveLength(bad.length)
    expect(errors.every((error) => error.code === 'DECODE_FAILED' && error.event === 'age')).toBe(true)
  })

  it('moves lastEventId past a rejected event, so a reconnect does not replay it', async () => {
    const url = serve('/rejected-id', ['id: 7\nevent: age\ndata: "x"\n\n'])
    const { client, errors } = listen(events, url)
    await expect.poll(() => errors).toHaveLength(1)
    expect(client.lastEventId).toBe('7')
  })
})
