// `connect()`: a test's own stream to a channel, or to an app serving one, over a real HTTP/1.1
// exchange in memory. A node:http server that never listens is handed one end of a socket pair
// (`server.emit('connection')`), a node:http client the other, so the request goes through the
// app's middleware and the channel's gate, heartbeat and catch-up exactly as over TCP. No port.
import http, { type IncomingMessage, type ServerResponse } from 'node:http'
import { clearTimeout, setTimeout } from 'node:timers'
import { type AnyEvents, assertTopic, HeraldError, type Topic } from '@herald/schema'
import type { EventId } from './event-id.ts'
import { MAX_DELAY_MS, wholeNumberOption } from './options.ts'
import { createSocketPair } from './testing-socket-pair.ts'
import { createSseReader } from './testing-sse-reader.ts'
import { createTestStream, type TestStream } from './testing-stream.ts'
import type { Channel } from './types.ts'

/** Options of `connect`. */
export interface ConnectOptions<TEvents extends AnyEvents> {
  /**
   * Topics for the stream. Given a channel, the stream joins them, as `channel.handle(req, res,
   * { topics })` would. Given a handler, they are asked for as Herald's client asks (`?topic=`),
   * so the app's own `topics` and `authorize` decide.
   */
  topics?: readonly Topic<TEvents>[] | undefined
  /** Resume after this event id: sent as the `Last-Event-ID` header, as on a reconnect. */
  lastEventId?: string | undefined
  /** Request headers (a cookie, an `authorization`, your app's own). */
  headers?: Readonly<Record<string, string>> | undefined
  /** The request's path and query, for a handler that routes. @default '/' */
  path?: string | undefined
  /**
   * The longest wait, in real milliseconds, for the stream to open and for each `next`,
   * `control` and `ended` (each may set its own). @default 1000
   */
  timeoutMs?: number | undefined
  /** The client address the server sees (`req.socket.remoteAddress`). @default '127.0.0.1' */
  remoteAddress?: string | undefined
}

/** Any `node:http` request handler: Koa's `app.callback()`, an Express app, your own function. */
export type RequestHandler = (req: IncomingMessage, res: ServerResponse) => unknown

/** What `connect` serves a channel with: `handle` and the contract. */
export type ConnectableChannel<TEvents extends AnyEvents> = Pick<
  Channel<TEvents, EventId | Promise<EventId>>,
  'handle' | 'events'
>

/**
 * Opens a stream to `channel` in memory, through `channel.handle`, and resolves once it is open
 * (its `herald:hello` arrived): an event emitted from then on reaches it. Payloads are decoded
 * with the channel's contract.
 */
export function connect<TEvents extends AnyEvents>(
  channel: ConnectableChannel<TEvents>,
  options?: ConnectOptions<TEvents>,
): Promise<TestStream<TEvents>>
/**
 * Opens a stream to an app in memory: `handler` gets a real request (`GET options.path`), so its
 * routing, authentication and topic access run. Resolves once the stream is open; rejects with
 * `CONNECTION_FAILED` (and the `status`) when the app answers anything but an event stream.
 */
export function connect<TEvents extends AnyEvents>(
  handler: RequestHandler,
  events: TEvents,
  options?: ConnectOptions<TEvents>,
): Promise<TestStream<TEvents>>
export async function connect<TEvents extends AnyEvents>(
  target: ConnectableChannel<TEvents> | RequestHandler,
  eventsOrOptions?: TEvents | ConnectOptions<TEvents>,
  maybeOptions?: ConnectOptions<TEvents>,
): Promise<TestStream<TEvents>> {
  if (typeof target === 'function') {
    const events = eventsOrOptions as TEvents
    if (typeof events !== 'object' || events === null || !(events.specs instanceof Map)) {
      throw new HeraldError('INVALID_OPTIONS', 'connect(handler, events): events must be the result of defineEvents()')
    }
    const options = maybeOptions ?? {}
    for (const topic of options.topics ?? []) assertTopic(events, topic)
    const url = new URL(options.path ?? '/', 'http://localhost')
    for (const topic of options.topics ?? []) url.searchParams.append('topic', topic)
    return open(target, events, `${url.pathname}${url.search}`, options)
  }
  if (typeof target !== 'object' || target === null || typeof target.handle !== 'function') {
    throw new HeraldError('INVALID_OPTIONS', 'connect() takes a channel, or a request handler and its contract')
  }
  const options = (eventsOrOptions ?? {}) as ConnectOptions<TEvents>
  const topics = options.topics ?? []
  // Checked here: channel.handle would throw INVALID_TOPIC inside the server's request event.
  for (const topic of topics) assertTopic(target.events, topic)
  const access = topics.length === 0 ? undefined : { topics }
  return open((req, res) => target.handle(req, res, access), target.events, options.path ?? '/', options)
}

/** Sends `GET path` to `handler` over a socket pair; resolves with the stream once it opened. */
function open<TEvents extends AnyEvents>(
  handler: RequestHandler,
  events: TEvents,
  path: string,
  options: ConnectOptions<TEvents>,
): Promise<TestStream<TEvents>> {
  const timeoutMs = wholeNumberOption('timeoutMs', options.timeoutMs, 1000, MAX_DELAY_MS)
  const [clientSocket, serverSocket] = createSocketPair(options.remoteAddress)
  return new Promise((resolve, reject) => {
    let settled = false
    const settle = (error?: Error) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      if (error === undefined) return resolve(feed.stream)
      request.destroy()
      reject(error)
    }
    const server = http.createServer((req, res) => {
      // A handler that throws would throw inside node:http's parser: fail the connect instead.
      try {
        Promise.resolve(handler(req, res)).catch((error: unknown) => fail(error, res))
      } catch (error) {
        fail(error, res)
      }
    })
    const fail = (error: unknown, res: ServerResponse) => {
      res.destroy()
      settle(error instanceof Error ? error : new Error(String(error)))
    }
    const headers: Record<string, string> = { accept: 'text/event-stream', ...options.headers }
    if (options.lastEventId !== undefined) headers['last-event-id'] = options.lastEventId
    const request = http.request({ path, headers, createConnection: () => clientSocket as never })
    const feed = createTestStream(events, timeoutMs, () => request.destroy())
    const timer = setTimeout(
      () => settle(new Error(`connect(): the stream to ${path} did not open within ${timeoutMs} ms`)),
      timeoutMs,
    )
    request.on('response', (response) => {
      feed.respond(response.statusCode ?? 0, response.headers)
      const type = response.headers['content-type'] ?? ''
      if (response.statusCode !== 200 || !type.startsWith('text/event-stream')) {
        // Not a stream: its body says why (a 401's message, a 404's page).
        let body = ''
        response.setEncoding('utf8')
        response.on('data', (chunk: string) => {
          body += chunk
        })
        response.on('end', () => {
          feed.end()
          const shown = body.length > 200 ? `${body.slice(0, 200)}…` : body
          settle(
            new HeraldError(
              'CONNECTION_FAILED',
              `connect(): ${path} answered ${response.statusCode} ${type || '(no content type)'}, not an event stream${shown === '' ? '' : `: ${shown}`}`,
              { status: response.statusCode },
            ),
          )
        })
        return
      }
      const read = createSseReader({
        onMessage(message) {
          feed.message(message)
          settle() // the hello (or a turn-away's herald:busy): the stream is in the channel's fan-out
        },
        onRetry: feed.retry,
      })
      response.setEncoding('utf8')
      response.on('data', read)
      response.on('close', () => {
        feed.end()
        settle() // turned away with only a retry: (a closing channel): open, and ended already
      })
    })
    // A connection closed by the test or the server: the stream has ended, no test failure.
    request.on('error', (error) => {
      feed.end()
      settle(new HeraldError('CONNECTION_FAILED', `connect(): ${path}: ${error.message}`, { cause: error }))
    })
    request.on('close', () => feed.end())
    request.end()
    server.emit('connection', serverSocket)
  })
}
