import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, afterEach, beforeAll } from 'vitest'
import { HeraldEventSource, type HeraldEventSourceInit } from './event-source.ts'

/** Pause between raw writes, so each write reaches the client as its own chunk. */
export const GAP = 20

/** One request the test server received. */
export interface Hit {
  readonly headers: http.IncomingHttpHeaders
  /** `performance.now()` when the request arrived. */
  readonly at: number
  /** When the server ended the response itself. */
  endedAt: number | undefined
  /** When the connection closed before the response was finished, i.e. the client aborted. */
  abortedAt: number | undefined
}

/** What a route handler gets: the raw request and response, the request's log entry and its index on this path. */
export interface RouteContext {
  readonly req: http.IncomingMessage
  readonly res: http.ServerResponse
  readonly hit: Hit
  readonly n: number
}

/** A raw `node:http` server on 127.0.0.1, port 0, with per-path handlers and a request log. */
export interface SseServer {
  readonly server: http.Server
  readonly origin: string
  /** Registers a handler and returns the route's full URL. */
  route(path: string, handler: (ctx: RouteContext) => unknown): string
  /** The requests a path received, in order. */
  hits(path: string): Hit[]
  close(): Promise<void>
}

/** Starts a test server. */
export async function startSseServer(): Promise<SseServer> {
  const routes = new Map<string, (ctx: RouteContext) => unknown>()
  const log = new Map<string, Hit[]>()
  const hits = (path: string): Hit[] => log.get(path) ?? log.set(path, []).get(path) ?? []
  const server = http.createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname
    const hit: Hit = { headers: req.headers, at: performance.now(), endedAt: undefined, abortedAt: undefined }
    const list = hits(path)
    list.push(hit)
    req.socket.setNoDelay(true)
    res.on('close', () => {
      if (!res.writableFinished) hit.abortedAt = performance.now()
    })
    const handler = routes.get(path)
    if (handler === undefined) res.writeHead(404).end()
    else void handler({ req, res, hit, n: list.length - 1 })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  return {
    server,
    origin,
    route(path, handler) {
      routes.set(path, handler)
      return origin + path
    },
    hits,
    close() {
      server.closeAllConnections()
      return new Promise((resolve) => server.close(() => resolve()))
    },
  }
}

/** Sends the 200 head with the given content type right away. */
export function sseHead(res: http.ServerResponse, contentType = 'text/event-stream'): void {
  res.writeHead(200, { 'content-type': contentType, 'cache-control': 'no-store' })
  res.flushHeaders()
}

/** Writes exact bytes, then waits `GAP` so the next write is a separate chunk. */
export async function send(res: http.ServerResponse, bytes: string | Uint8Array): Promise<void> {
  if (res.destroyed) return
  res.write(typeof bytes === 'string' ? Buffer.from(bytes, 'utf8') : bytes)
  await sleep(GAP)
}

/** Ends the response and records when. */
export function end({ res, hit }: RouteContext): void {
  hit.endedAt = performance.now()
  res.end()
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

/** Polls until `predicate` holds or `ms` pass; returns whether it held. */
export async function waitFor(predicate: () => boolean, ms = 2000): Promise<boolean> {
  const until = performance.now() + ms
  while (performance.now() < until) {
    if (predicate()) return true
    await sleep(5)
  }
  return predicate()
}

/** A source under test and everything it fired. */
export interface Recorded {
  readonly es: HeraldEventSource
  readonly events: { type: string; data: string; lastEventId: string; origin: string }[]
  readonly errors: { status: number | undefined; message: string | undefined; readyState: number }[]
  readonly opens: number[]
}

/** Opens a source that records its events. */
export type OpenSource = (url: string, init?: HeraldEventSourceInit, types?: string[]) => Recorded

/**
 * Sets up a test file: one server for the whole file (`srv`, usable inside tests), `open` for
 * sources that are all closed after each test, and `openFor(onTestFinished)` for concurrent tests,
 * whose sources close when their own test finishes (afterEach would close those of the others).
 */
export function useSseServer(): {
  readonly srv: SseServer
  readonly open: OpenSource
  readonly openFor: (onTestFinished: (fn: () => void) => void) => OpenSource
} {
  let started: SseServer | undefined
  const current = (): SseServer => {
    if (started === undefined) throw new Error('the test server starts in beforeAll: use it inside tests')
    return started
  }
  beforeAll(async () => {
    started = await startSseServer()
  })
  afterAll(() => current().close())
  const opened: HeraldEventSource[] = []
  afterEach(() => {
    for (const es of opened.splice(0)) es.close()
  })
  const srv: SseServer = {
    get server() {
      return current().server
    },
    get origin() {
      return current().origin
    },
    route: (path, handler) => current().route(path, handler),
    hits: (path) => current().hits(path),
    close: () => current().close(),
  }
  const record: OpenSource = (url, init, types = []) => {
    const es = new HeraldEventSource(url, init)
    const recorded: Recorded = { es, events: [], errors: [], opens: [] }
    for (const type of new Set(['message', ...types])) {
      es.addEventListener(type, (e) => {
        recorded.events.push({ type: e.type, data: e.data, lastEventId: e.lastEventId, origin: e.origin })
      })
    }
    es.addEventListener('open', () => recorded.opens.push(performance.now()))
    es.addEventListener('error', (e) => {
      recorded.errors.push({ status: e.status, message: e.message, readyState: es.readyState })
    })
    return recorded
  }
  const open: OpenSource = (url, init, types) => {
    const recorded = record(url, init, types)
    opened.push(recorded.es)
    return recorded
  }
  const openFor = (onTestFinished: (fn: () => void) => void): OpenSource => {
    return (url, init, types) => {
      const recorded = record(url, init, types)
      onTestFinished(() => recorded.es.close())
      return recorded
    }
  }
  return { srv, open, openFor }
}
