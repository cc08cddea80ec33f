import type http from 'node:http'
import { defineEvents, isHeraldError, text } from '@herald/schema'
import { afterEach, describe, expect, it } from 'vitest'
import * as z from 'zod'
import {
  type ClientOptions,
  createClient,
  type EventName,
  type HeraldError,
  HeraldEventSource,
  type HeraldEventSourceInit,
} from './index.ts'
import { cleanups } from './test-herald-server.ts'
import { type RouteContext, send, sleep, sseHead, useSseServer } from './test-sse-server.ts'

// Guarantee 6, client side: Herald's client against a hostile raw node:http server. Each attack
// must end in a typed HeraldError (or be ignored, as the SSE spec says), with bounded memory,
// and the client must keep working where the spec says it should.

interface TreeNode {
  at: Date
  kids: TreeNode[]
}
const tree: z.ZodType<TreeNode> = z.lazy(() => z.object({ at: z.date(), kids: z.array(tree) }))
const events = defineEvents({ name: z.string(), age: z.number(), note: text(z.string()), tree })

const { srv } = useSseServer()
const jobs = cleanups()
afterEach(() => jobs.run())

let paths = 0
/** Serves `handler` at a fresh path; returns its URL and its request log. */
function route(handler: (ctx: RouteContext) => unknown) {
  const path = `/hostile-${++paths}`
  return { url: srv.route(path, handler), hits: () => srv.hits(path) }
}

/**
 * A client that records payloads, states and errors, closed after the test: concurrent tests
 * pass their context's `onTestFinished`, as afterEach would close the clients of the others.
 */
function track(url: string, options: ClientOptions = {}, onFinished = (fn: () => void) => jobs.add(fn)) {
  const client = createClient(events, url, options)
  onFinished(() => client.close())
  const received: [string, unknown][] = []
  const states = [client.state]
  const errors: HeraldError[] = []
  for (const name of events.names as readonly EventName<typeof events>[])
    client.on(name, (payload, meta) => received.push([meta.name, payload]))
  client.onState((state) => states.push(state))
  client.onError((error) => errors.push(error))
  return { client, received, states, errors }
}

/** Herald's own EventSource with its default limits, reporting what its parser drops. */
function watchedEventSource(problems: string[]) {
  return class extends HeraldEventSource {
    constructor(url: string | URL, init: HeraldEventSourceInit = {}) {
      super(url, { ...init, onParseError: (message) => problems.push(message) })
    }
  }
}

/** Writes `total` bytes of `fill` in 1 MiB chunks, honouring back-pressure. */
async function flood(res: http.ServerResponse, total: number, fill: string): Promise<void> {
  const chunk = Buffer.alloc(1 << 20, fill)
  for (let sent = 0; sent < total && !res.destroyed; sent += chunk.length) {
    const piece = sent + chunk.length <= total ? chunk : chunk.subarray(0, total - sent)
    if (!res.write(piece)) await drainOrClose(res)
  }
}

function drainOrClose(res: http.ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done)
      res.off('close', done)
      resolve()
    }
    res.on('drain', done)
    res.on('close', done)
  })
}

/** A seeded xorshift generator, so the garbage is the same on every run. */
function garbage(length: number, seed = 0x9e3779b9): Buffer {
  const bytes = Buffer.alloc(length)
  let x = seed
  for (let i = 0; i < length; i++) {
    x ^= x << 13
    x ^= x >>> 17
    x ^= x << 5
    bytes[i] = x & 0xff
  }
  return bytes
}

const allowed = new Set(['UNKNOWN_EVENT', 'DECODE_FAILED'])

describe('malformed streams', () => {
  it('garbage bytes: typed errors at most, no crash, and the next valid event still arrives', async () => {
    const { url, hits } = route(async ({ res }) => {
      sseHead(res)
      await send(res, garbage(256 * 1024))
      await send(res, Buffer.from([0, 0xff, 0xfe, 0x0d, 0x0a, 0x0d, 0x80, 0xc0, 0xaf, 0x0a, 0x0a]))
      await send(res, '\n\nevent: age\ndata: {{{\n\nevent: age\ndata: 1e999\n\n')
      await send(res, 'data: unnamed garbage\n\nevent: name\ndata: {"__proto__":1}\n\n')
      await send(res, 'event: name\ndata: "after"\n\n')
    })
    const { client, received, errors } = track(url)
    await expect.poll(() => received, { timeout: 5000 }).toContainEqual(['name', 'after'])
    expect(received.at(-1)).toEqual(['name', 'after'])
    for (const error of errors) {
      expect(isHeraldError(error)).toBe(true)
      expect(allowed).toContain(error.code)
    }
    const codes = errors.slice(-4).map((error) => error.code)
    expect(codes).toEqual(['DECODE_FAILED', 'DECODE_FAILED', 'UNKNOWN_EVENT', 'DECODE_FAILED'])
    expect(client.state).toBe('open')
    expect(hits()).toHaveLength(1)
  })

  it('invalid UTF-8 becomes U+FFFD, in data and in names; nothing throws', async () => {
    const bytes = (...parts: (string | number[])[]) =>
      Buffer.concat(parts.map((part) => (typeof part === 'string' ? Buffer.from(part) : Buffer.from(part))))
    const { url } = route(async ({ res }) => {
      sseHead(res)
      await send(res, bytes('event: note\ndata: a', [0xff], 'b', [0xc3], 'c\n\n'))
      // an overlong '/', a UTF-8-encoded surrogate, and a truncated 4-byte sequence at the line end
      await send(
        res,
        bytes('event: note\ndata: ', [0xc0, 0xaf], '|', [0xed, 0xa0, 0x80], '|', [0xf0, 0x9f, 0x99], '\n\n'),
      )
      await send(res, bytes('event: name\ndata: "', [0xfe], '"\n\n'))
      await send(res, bytes('event: na', [0xff], 'me\ndata: "hidden"\n\n'))
      await send(res, bytes('event: note\ndata: ', [0xe2, 0x82], '\n\n')) // cut before its last byte
      await send(res, 'event: note\ndata: end\n\n')
    })
    const { client, received, errors } = track(url)
    await expect.poll(() => received.length, { timeout: 3000 }).toBe(5)
    expect(received).toEqual([
      ['note', 'a\uFFFDb\uFFFDc'],
      ['note', '\uFFFD\uFFFD|\uFFFD\uFFFD\uFFFD|\uFFFD'],
      ['name', '\uFFFD'],
      ['note', '\uFFFD'],
      ['note', 'end'],
    ])
    // `na\uFFFDme` is not an event of the contract: reported by its name (as decoded), nothing else
    expect(errors.map((error) => [error.code, error.event])).toEqual([['UNKNOWN_EVENT', 'na\uFFFDme']])
    expect(client.state).toBe('open')
  })

  /** Sends a `tree` payload nested `depth` deep, then a valid `name` event. */
  async function deepTree(depth: number) {
    const deep = `${'{"at":"1970-01-01T00:00:00.000Z","kids":['.repeat(depth)}${']}'.repeat(depth)}`
    const { url, hits } = route(async ({ res }) => {
      sseHead(res)
      await send(res, `event: tree\ndata: ${deep}\n\n`)
      await send(res, 'event: name\ndata: "after"\n\n')
    })
    const tracked = track(url)
    await expect.poll(() => tracked.received, { timeout: 5000 }).toEqual([['name', 'after']])
    return { ...tracked, hits }
  }

  it('a payload nested 20,000 deep is rejected with one error, and the stream goes on', async () => {
    const { client, errors, hits } = await deepTree(20_000)
    expect(errors).toHaveLength(1)
    expect(client.state).toBe('open')
    expect(hits()).toHaveLength(1)
  })

  it('a payload nested 20,000 deep is a typed DECODE_FAILED', async () => {
    const { errors } = await deepTree(20_000)
    expect(errors.map((error) => [isHeraldError(error), error.code, error.event])).toEqual([
      [true, 'DECODE_FAILED', 'tree'],
    ])
  })

  it('a 65 MiB line with no newline is dropped at the 64 MiB line limit; the stream stays open and goes on', async () => {
    const { url, hits } = route(async ({ res }) => {
      sseHead(res)
      await send(res, 'event: name\ndata: "before"\n\n')
      // Unbounded, this would be a 65 MiB string handed to the `name` listener.
      await send(res, 'event: name\ndata: "')
      await flood(res, 65 * 1024 * 1024, 'x')
      await send(res, '"\n\nevent: name\ndata: "after"\n\n')
    })
    const problems: string[] = []
    const { client, received, errors } = track(url, { EventSource: watchedEventSource(problems) })
    await expect
      .poll(() => received, { timeout: 10_000 })
      .toEqual([
        ['name', 'before'],
        ['name', 'after'],
      ])
    expect(problems).toEqual(['line longer than 67108864 characters dropped with its event'])
    expect(errors).toEqual([])
    expect(client.state).toBe('open')
    expect(hits()).toHaveLength(1)
  })

  it('a dropped 65 MiB line is reported to client.onError as a typed error', async () => {
    const { url } = route(async ({ res }) => {
      sseHead(res)
      await send(res, 'event: name\ndata: "')
      await flood(res, 65 * 1024 * 1024, 'x')
      await send(res, '"\n\nevent: name\ndata: "after"\n\n')
    })
    const { received, errors } = track(url)
    await expect.poll(() => received, { timeout: 10_000 }).toEqual([['name', 'after']])
    expect(errors.map((error) => [isHeraldError(error), error.code, error.message])).toEqual([
      [true, 'DECODE_FAILED', `${url}: line longer than 67108864 characters dropped with its event`],
    ])
  })

  it('a billion-digit retry: is ignored: no crash, the earlier retry still holds', async () => {
    const { url, hits } = route(async ({ res, hit, n }) => {
      sseHead(res)
      if (n > 0) return
      await send(res, 'retry: 100\n')
      await send(res, 'retry: ')
      await flood(res, 1_000_000_000, '9')
      // The over-long line takes its block down with it; the next block, and its retry, count.
      await send(res, `\n\nretry: ${'9'.repeat(1_000_000)}\nevent: name\ndata: "after"\n\n`)
      hit.endedAt = performance.now()
      res.end()
    })
    const problems: string[] = []
    const { received, errors } = track(url, { EventSource: watchedEventSource(problems) })
    await expect.poll(() => hits().length, { timeout: 20_000 }).toBe(2)
    expect(received).toEqual([['name', 'after']])
    expect(problems).toEqual(['line longer than 67108864 characters dropped with its event'])
    const [first, second] = hits()
    const delay = (second?.at ?? Number.NaN) - (first?.endedAt ?? Number.NaN)
    expect(delay).toBeGreaterThanOrEqual(90)
    expect(delay).toBeLessThan(1000)
    expect(errors.map((error) => error.code)).toEqual(['CONNECTION_LOST'])
  }, 30_000)
})

describe.concurrent('refusals', () => {
  const statuses = [400, 403, 404, 405, 410, 429, 451, 502, 503, 504]

  it.for(statuses)(
    'HTTP %i: CONNECTION_FAILED with the status, state closed, no retry',
    async (status, { expect, onTestFinished }) => {
      const { url, hits } = route(({ res }) => {
        res.writeHead(status, { 'content-type': 'text/event-stream', 'retry-after': '0' })
        res.end('retry: 1\nevent: name\ndata: "smuggled"\n\n')
      })
      const { received, states, errors } = track(url, {}, onTestFinished)
      await expect.poll(() => states.at(-1)).toBe('closed')
      await sleep(200) // long enough for a retry storm to show
      expect(states).toEqual(['connecting', 'closed'])
      expect(errors.map((error) => [isHeraldError(error), error.code, error.status])).toEqual([
        [true, 'CONNECTION_FAILED', status],
      ])
      expect(received).toEqual([])
      expect(hits()).toHaveLength(1)
    },
  )

  it.for(['text/html', 'text/plain; charset=utf-8', 'application/octet-stream', 'text/event-stream-x', ''])(
    "200 with content type '%s': CONNECTION_FAILED 200, closed, nothing delivered",
    async (type, { expect, onTestFinished }) => {
      const { url, hits } = route(async ({ res }) => {
        res.writeHead(200, type === '' ? {} : { 'content-type': type })
        await send(res, 'event: name\ndata: "smuggled"\n\n')
      })
      const { received, states, errors } = track(url, {}, onTestFinished)
      await expect.poll(() => states.at(-1)).toBe('closed')
      await sleep(150)
      expect(errors.map((error) => [error.code, error.status])).toEqual([['CONNECTION_FAILED', 200]])
      expect(received).toEqual([])
      expect(hits()).toHaveLength(1)
    },
  )

  it('a redirect loop is a network error: CONNECTION_LOST, then a slow retry, not a storm', async ({
    expect,
    onTestFinished,
  }) => {
    const { url, hits } = route(({ res, req }) => void res.writeHead(302, { location: req.url ?? '/' }).end())
    const { states, errors } = track(url, {}, onTestFinished)
    await expect.poll(() => errors.length, { timeout: 3000 }).toBeGreaterThan(0)
    await sleep(500)
    expect(errors.map((error) => error.code)).toEqual(['CONNECTION_LOST'])
    expect(states).toEqual(['connecting', 'reconnecting'])
    expect(hits().length).toBeLessThanOrEqual(21) // one fetch: its 20 redirects, no second attempt yet
  })
})

/** Gaps between consecutive request arrivals, in ms. */
const gapsOf = (hits: { at: number }[]) => hits.slice(1).map((hit, i) => hit.at - (hits[i]?.at ?? 0))

/**
 * Each wait is the base (`retry:`, at least the 100 ms floor) doubled once more, stretched by up
 * to half at random: from `base`, 2·`base`, 4·`base`… to 1.5 times that (plus request time).
 */
function expectDoubling(gaps: number[], base: number): void {
  expect(gaps.length).toBeGreaterThanOrEqual(3)
  gaps.forEach((gap, i) => {
    expect(gap).toBeGreaterThanOrEqual(base * 2 ** i - 1)
    expect(gap).toBeLessThan(1.5 * base * 2 ** i + 100)
  })
}

describe.concurrent('a server that closes at once, in a loop', () => {
  it('accept, retry: 20, close: the client backs off from the 100 ms floor, doubling each wait', async ({
    expect,
    onTestFinished,
  }) => {
    const { url, hits } = route(({ res }) => {
      sseHead(res)
      res.end('retry: 20\n\n')
    })
    const { states, errors } = track(url, {}, onTestFinished)
    await sleep(1500)
    const count = hits().length
    // With no back-off: 1500 / 20 = 75 requests. Doubling from 100 ms: 0, 100, 300, 700 (to 1.5 times).
    expect(count).toBeGreaterThanOrEqual(4)
    expect(count).toBeLessThanOrEqual(6)
    expectDoubling(gapsOf(hits()), 100)
    expect(new Set(errors.map((error) => error.code))).toEqual(new Set(['CONNECTION_LOST']))
    expect(states.slice(0, 3)).toEqual(['connecting', 'open', 'reconnecting'])
  })

  it('one event, then sockets destroyed before any answer: the client backs off the same way', async ({
    expect,
    onTestFinished,
  }) => {
    const { url, hits } = route(async ({ req, res, n }) => {
      if (n > 0) return void req.socket.destroy()
      sseHead(res)
      await send(res, 'retry: 20\nevent: name\ndata: "once"\n\n')
      res.end()
    })
    const { received, errors } = track(url, {}, onTestFinished)
    await sleep(1500)
    expect(received).toEqual([['name', 'once']])
    expect(hits().length).toBeLessThanOrEqual(6)
    expectDoubling(gapsOf(hits()), 100)
    expect(new Set(errors.map((error) => error.code))).toEqual(new Set(['CONNECTION_LOST']))
  })

  it('accept, retry: 0, close: every wait is at least the 100 ms floor, doubling', async ({
    expect,
    onTestFinished,
  }) => {
    const { url, hits } = route(({ res }) => {
      sseHead(res)
      res.end('retry: 0\n\n')
    })
    track(url, {}, onTestFinished)
    await sleep(1500)
    // Without a floor: hundreds of requests. From 100 ms: 0, 100, 300, 700 (to 1.5 times).
    expect(hits().length).toBeGreaterThanOrEqual(4)
    expect(hits().length).toBeLessThanOrEqual(6)
    expectDoubling(gapsOf(hits()), 100)
  })

  it("Herald's opening block, then close: still backs off", async ({ expect, onTestFinished }) => {
    const { url, hits } = route(({ res }) => {
      sseHead(res)
      res.end(': herald\nretry: 20\nevent: herald:hello\ndata: {"heartbeatMs":0}\n\n')
    })
    const { client } = track(url, {}, onTestFinished)
    await sleep(1500)
    // A connection that ends at once, whatever it sent, does not reset the doubling.
    expect(hits().length).toBeGreaterThanOrEqual(4)
    expect(hits().length).toBeLessThanOrEqual(6)
    expectDoubling(gapsOf(hits()), 100)
    expect(client.state).toBe('reconnecting')
  })
})

describe('messages named like the EventSource events', () => {
  it("'open' and 'error' messages are UNKNOWN_EVENT: no false reconnect, and the stream goes on", async () => {
    const { url, hits } = route(async ({ res }) => {
      sseHead(res)
      await send(res, 'id: 1\nevent: error\ndata: "x"\n\nid: 2\nevent: open\ndata: "y"\n\n')
      await send(res, 'id: 3\nevent: name\ndata: "after"\n\n')
    })
    const { client, received, states, errors } = track(url)
    let opens = 0
    client.onOpen(() => opens++)
    await expect.poll(() => received).toEqual([['name', 'after']])
    expect(errors.map((error) => [error.code, error.event])).toEqual([
      ['UNKNOWN_EVENT', 'error'],
      ['UNKNOWN_EVENT', 'open'],
    ])
    expect(states).toEqual(['connecting', 'open'])
    expect(opens).toBe(1)
    expect(client.lastEventId).toBe('3')
    expect(hits()).toHaveLength(1)
  })
})

describe.concurrent('close() from inside a hook', () => {
  const endings: [how: string, reply: (ctx: RouteContext) => Promise<void>][] = [
    [
      'on a dropped connection',
      async ({ res }) => {
        sseHead(res)
        await send(res, 'retry: 20\nevent: name\ndata: "once"\n\n')
        res.destroy()
      },
    ],
    [
      'when the watchdog gives up on a silent stream',
      async ({ res }) => {
        sseHead(res)
        await send(res, 'event: herald:hello\ndata: {"heartbeatMs":30,"retryMs":20}\n\n') // then silence
      },
    ],
  ]

  it.for(endings)(
    'from onError %s: the client stays closed and never reconnects',
    async ([_how, reply], { expect, onTestFinished }) => {
      const { url, hits } = route(reply)
      const { client, states, errors } = track(url, {}, onTestFinished)
      client.onError(() => client.close())
      await expect.poll(() => states.at(-1)).toBe('closed')
      await sleep(300) // many retry and watchdog periods
      expect(states).toEqual(['connecting', 'open', 'closed'])
      expect(errors.map((error) => error.code)).toEqual(['CONNECTION_LOST'])
      expect(hits()).toHaveLength(1)
    },
  )

  it('from onState when the stream opens: no onOpen hook runs after it', async ({ expect, onTestFinished }) => {
    const { url } = route(({ res }) => sseHead(res))
    const { client, states } = track(url, {}, onTestFinished)
    let opens = 0
    client.onOpen(() => opens++)
    client.onState((state) => {
      if (state === 'open') client.close()
    })
    await expect.poll(() => states.at(-1)).toBe('closed')
    await sleep(50)
    expect(states).toEqual(['connecting', 'open', 'closed'])
    expect(opens).toBe(0)
  })
})

describe('hostile herald: control events', () => {
  it('herald:gap with garbage data: HISTORY_GAP each time, no crash, the stream goes on', async () => {
    const payloads = ['{{{', 'null', '[1,2]', '"text"', '{"lastEventId":{"nested":true}}', '{"__proto__":{"x":1}}', '']
    const { url, hits } = route(async ({ res }) => {
      sseHead(res)
      for (const data of payloads) await send(res, `event: herald:gap\ndata: ${data}\n\n`)
      await send(res, 'event: name\ndata: "after"\n\n')
    })
    const { client, received, errors } = track(url)
    await expect.poll(() => received).toEqual([['name', 'after']])
    expect(errors.map((error) => [isHeraldError(error), error.code])).toEqual(payloads.map(() => [true, 'HISTORY_GAP']))
    expect(client.state).toBe('open')
    expect(hits()).toHaveLength(1)
  })

  it('herald:busy and herald:hello with garbage data do not throw; the stream goes on', async () => {
    const { url } = route(async ({ res }) => {
      sseHead(res)
      await send(res, 'event: herald:hello\ndata: {{{\n\nevent: herald:hello\ndata: {"heartbeatMs":"soon"}\n\n')
      await send(res, 'event: herald:hello\ndata: {"heartbeatMs":-5}\n\nevent: herald:busy\ndata: [\n\n')
      await send(res, 'event: herald:ping\ndata: {{{\n\nevent: name\ndata: "after"\n\n')
    })
    const { client, received, errors } = track(url)
    await expect.poll(() => received).toEqual([['name', 'after']])
    expect(errors.map((error) => error.code)).toEqual(['OVER_CAPACITY'])
    expect(client.state).toBe('open')
  })

  it('herald:hello with heartbeatMs 1 on a silent stream: no reconnect storm', async () => {
    const { url, hits } = route(async ({ res }) => {
      sseHead(res)
      await send(res, 'retry: 20\nevent: herald:hello\ndata: {"heartbeatMs":1,"retryMs":20}\n\n')
    })
    track(url)
    await sleep(1000)
    expect(hits().length).toBeLessThanOrEqual(5)
  })

  it('a HISTORY_GAP message stays short and on one line', async () => {
    const { url } = route(async ({ res }) => {
      sseHead(res)
      await send(
        res,
        `event: herald:gap\ndata: ${JSON.stringify({ lastEventId: `\n[auth] admin signed in\n${'x'.repeat(500_000)}` })}\n\n`,
      )
    })
    const { errors } = track(url)
    await expect.poll(() => errors.length).toBe(1)
    expect(errors[0]?.message.length).toBeLessThan(500)
    expect(errors[0]?.message).not.toContain('\n')
  })
})
