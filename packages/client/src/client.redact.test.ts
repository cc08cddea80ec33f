import { defineEvents, type HeraldError } from '@herald/schema'
import { afterEach, describe, expect, it } from 'vitest'
import * as z from 'zod'
import { createClient, HeraldEventSource } from './index.ts'
import { redactUrl } from './redact.ts'
import { cleanups } from './test-herald-server.ts'
import { type RouteContext, send, sseHead, useSseServer } from './test-sse-server.ts'

// Issue #8 item 6: a credential in the stream URL (`?token=…`, the only way a native EventSource
// can carry one, or `user:pass@`) must never reach an error message, which ends up in logs. The
// URL stays whole on `client.url` and `es.url`. Real server, real answers.

const events = defineEvents({ name: z.string() })
const { srv } = useSseServer()
const jobs = cleanups()
afterEach(() => jobs.run())

const TOKEN = 'tok-3f9a7c1e-SECRET'
const PASSWORD = 'pw-81bd-SECRET'
/** Relative stream URLs, which Node (no `location`) cannot resolve. */
const relativeUrls = [`/events?token=${TOKEN}`, `events?token=${TOKEN}`, `events?a=1&token=${TOKEN}#${PASSWORD}`]

let paths = 0
/** Serves `handler` at a fresh path; returns its URL with a token in the query. */
function route(handler: (ctx: RouteContext) => unknown) {
  const path = `/redact-${++paths}`
  srv.route(path, handler)
  return `${srv.origin}${path}?token=${TOKEN}&lastEventId=7`
}

/** Every form an error takes in a log; none may hold a secret. */
function expectNoSecret(error: unknown): void {
  const e = error as Error
  for (const text of [e.message, String(e), e.stack ?? '', JSON.stringify(e)]) {
    expect(text).not.toContain('SECRET')
  }
}

const answers: [string, (ctx: RouteContext) => unknown, string][] = [
  ['HTTP 401', ({ res }) => res.writeHead(401).end(`no ${TOKEN}`), 'CONNECTION_FAILED'],
  ['HTTP 500', ({ res }) => res.writeHead(500).end(), 'CONNECTION_FAILED'],
  [
    'a wrong content type',
    ({ res }) => res.writeHead(200, { 'content-type': 'application/json' }).end('{}'),
    'CONNECTION_FAILED',
  ],
  [
    'a redirect to a 401',
    ({ req, res }) => {
      if (req.url?.includes('moved')) res.writeHead(401).end()
      else res.writeHead(307, { location: `${req.url}&moved=1` }).end()
    },
    'CONNECTION_FAILED',
  ],
  ['a redirect loop', ({ req, res }) => res.writeHead(302, { location: req.url ?? '/' }).end(), 'CONNECTION_LOST'],
  [
    'a dropped stream',
    async ({ req, res }) => {
      sseHead(res)
      await send(res, 'retry: 5000\nevent: name\ndata: "x"\n\n')
      req.socket.destroy()
    },
    'CONNECTION_LOST',
  ],
  [
    "Herald's gap and busy notices",
    async ({ res }) => {
      sseHead(res)
      await send(res, `event: herald:gap\ndata: {"lastEventId":"1"}\n\nevent: herald:busy\ndata: {"retryMs":5}\n\n`)
    },
    'OVER_CAPACITY',
  ],
  [
    'a silent stream the watchdog gives up',
    async ({ res }) => {
      sseHead(res)
      await send(res, 'retry: 5000\nevent: herald:hello\ndata: {"heartbeatMs":25,"retryMs":5000}\n\n')
    },
    'CONNECTION_LOST',
  ],
]

describe('createClient: no credential in any error', () => {
  it.each(answers)('%s', async (_what, answer, code) => {
    const url = route(answer)
    const client = createClient(events, url)
    jobs.add(() => client.close())
    const errors: HeraldError[] = []
    client.onError((error) => errors.push(error))
    await expect.poll(() => errors.map((error) => error.code), { timeout: 4000 }).toContain(code)
    for (const error of errors) {
      expectNoSecret(error)
      expect(error.message).toContain(`${srv.origin}/redact-${paths}?token=***&lastEventId=***`)
    }
    expect(client.url).toBe(url) // code that needs the URL still has it
  })

  it('a URL with user:password@ (which fetch refuses) is reported without either', async () => {
    const url = route(({ res }) => res.writeHead(401).end()).replace('http://', `http://me:${PASSWORD}@`)
    const client = createClient(events, url)
    jobs.add(() => client.close())
    const errors: HeraldError[] = []
    client.onError((error) => errors.push(error))
    await expect.poll(() => errors.length).toBeGreaterThan(0)
    expect(errors[0]?.code).toBe('CONNECTION_LOST')
    expect(errors[0]?.message).toContain('http://***@127.0.0.1')
    for (const error of errors) expectNoSecret(error)
    expect(client.url).toBe(url)
  })

  it('an invalid URL is reported without its query values', () => {
    let thrown: unknown
    try {
      createClient(events, `http://[bad/events?token=${TOKEN}`)
    } catch (error) {
      thrown = error
    }
    expect(thrown).toMatchObject({ code: 'INVALID_OPTIONS', message: expect.stringContaining('token=***') })
    expectNoSecret(thrown)
  })

  // In Node there is no page to resolve a relative URL against, so it does not parse; the
  // redactor that reads secrets from the parsed URL found none and printed the token whole.
  it.each(relativeUrls)('a relative URL that cannot be resolved (%s) is reported without its secrets', (url) => {
    let thrown: unknown
    try {
      createClient(events, url)
    } catch (error) {
      thrown = error
    }
    expect(thrown).toMatchObject({ code: 'INVALID_OPTIONS', message: expect.stringContaining('=***') })
    expectNoSecret(thrown)
  })
})

// HeraldEventSource's own messages for a status, a content type or a redirect never held the URL;
// what could leak there is a fetch error that quotes it, and the constructor's SyntaxError.
describe('HeraldEventSource: no credential in any error event', () => {
  it('a URL with user:password@ gives error events without either', async () => {
    const url = route(({ res }) => res.writeHead(401).end()).replace('http://', `http://me:${PASSWORD}@`)
    const es = new HeraldEventSource(url)
    jobs.add(() => es.close())
    const messages: string[] = []
    es.addEventListener('error', (event) => messages.push(event.message ?? ''))
    await expect.poll(() => messages.length).toBeGreaterThan(0)
    expect(messages[0]).toMatch(/credentials/)
    for (const message of messages) expect(message).not.toContain('SECRET')
  })

  it('an invalid URL throws a SyntaxError without its query values', () => {
    let thrown: unknown
    try {
      new HeraldEventSource(`http://[bad/events?token=${TOKEN}`)
    } catch (error) {
      thrown = error
    }
    expect(thrown).toMatchObject({ name: 'SyntaxError', message: expect.stringContaining('token=***') })
    expectNoSecret(thrown)
  })

  it.each(relativeUrls)('a relative URL that cannot be resolved (%s) throws without its secrets', (url) => {
    let thrown: unknown
    try {
      new HeraldEventSource(url)
    } catch (error) {
      thrown = error
    }
    expect(thrown).toMatchObject({ name: 'SyntaxError', message: expect.stringContaining('=***') })
    expectNoSecret(thrown)
  })
})

describe('redactUrl', () => {
  it.each([
    ['https://h/events?token=abc&x=1', 'https://h/events?token=***&x=***'],
    ['https://u:p@h/e', 'https://***@h/e'],
    ['https://u@h/e?bare#frag', 'https://***@h/e?***#***'],
    ['/events?a=1&&b=', '/events?a=***&&b=***'],
    ['https://h/e', 'https://h/e'],
    ['not a url', 'not a url'],
  ])('%s → %s', (url, shown) => {
    expect(redactUrl(url)).toBe(shown)
  })
})
