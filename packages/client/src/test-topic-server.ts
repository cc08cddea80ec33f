// Test fixtures for topics and tickets: a raw node:http SSE server whose answers a test scripts
// byte for byte (hello, refusals, gaps, drops), recording the URL and headers of every request, so
// tests can read exactly which topics, ticket and last event id the client sent.
import type http from 'node:http'
import { type RouteContext, send, sseHead, startSseServer } from './test-sse-server.ts'

/** One request to `/events`, as the server received it. */
export interface TopicRequest {
  /** The request URL, parsed. */
  readonly url: URL
  /** The `topic` query parameters, in order. */
  readonly topics: readonly string[]
  /** The `ticket` query parameter, if any. */
  readonly ticket: string | null
  /** The last event id sent: the `Last-Event-ID` header, else the `lastEventId` parameter, else null. */
  readonly lastEventId: string | null
  readonly headers: http.IncomingHttpHeaders
  /** Whether the client has closed this request's connection. */
  readonly aborted: boolean
}

/** A scripted SSE server with its stream at `url`. */
export interface TopicServer {
  readonly url: string
  readonly requests: readonly TopicRequest[]
  close(): Promise<void>
}

/** What a script gets for each request: the request, its index, and the response to write to. */
export interface ScriptContext extends RouteContext {
  readonly request: TopicRequest
}

/** Starts a server that answers each request to `/events` with `script`. */
export async function serveTopics(script: (ctx: ScriptContext) => unknown): Promise<TopicServer> {
  const srv = await startSseServer()
  const requests: TopicRequest[] = []
  const url = srv.route('/events', (ctx) => {
    const parsed = new URL(ctx.req.url ?? '/', srv.origin)
    const header = ctx.req.headers['last-event-id']
    const request: TopicRequest = {
      url: parsed,
      topics: parsed.searchParams.getAll('topic'),
      ticket: parsed.searchParams.get('ticket'),
      lastEventId: typeof header === 'string' ? header : parsed.searchParams.get('lastEventId'),
      headers: ctx.req.headers,
      get aborted() {
        return ctx.hit.abortedAt !== undefined
      },
    }
    requests.push(request)
    return script({ ...ctx, request })
  })
  return { url, requests, close: () => srv.close() }
}

/** The opening block of a Herald stream: `retry: 20`, then `herald:hello` naming `topics`. */
export function hello(id: string | undefined, topics?: readonly string[], heartbeatMs = 0): string {
  const data = JSON.stringify({ heartbeatMs, retryMs: 20, ...(topics === undefined ? {} : { topics }) })
  return `retry: 20\n${id === undefined ? '' : `id: ${id}\n`}event: herald:hello\ndata: ${data}\n\n`
}

/** A control event (`herald:refused`, `herald:gap`…) with its JSON payload. */
export function control(name: string, payload: unknown): string {
  return `event: ${name}\ndata: ${JSON.stringify(payload)}\n\n`
}

/** A `message` event with id `id` whose payload is `{ text }`. */
export function message(id: string, text: string): string {
  return `id: ${id}\nevent: message\ndata: ${JSON.stringify({ text })}\n\n`
}

/** Sends the 200 head, then each block as its own chunk. */
export async function stream(res: http.ServerResponse, ...blocks: string[]): Promise<void> {
  sseHead(res)
  for (const block of blocks) await send(res, block)
}
