// The Fetch adapter: a channel served as a Web-standard `(request: Request) => Promise<Response>`
// handler, for Hono, Next.js route handlers, Bun, Deno and any runtime with Fetch and streams.
// Nothing on its path imports from `node:` at run time.
import { type AnyEvents, HeraldError } from '@herald/schema'
import { fetchExchange } from './fetch-exchange.ts'
import { describe, functionOption } from './options.ts'
import { planStreams, type StreamAccessOptions } from './stream-access.ts'
import type { TicketClaims } from './tickets.ts'
import type { Channel, StreamRequest, StreamResponse } from './types.ts'

/** What `topics` and `authorize` get: the request, its ticket's claims, and the state you passed. */
export interface FetchStreamContext<TState = undefined> {
  /** The stream's request. */
  readonly request: Request
  /** The claims of the request's ticket, with the `tickets` option. */
  readonly ticket: TicketClaims | undefined
  /** What you passed as `state` for this request (your authenticated user, say). */
  readonly state: TState
}

/** Options of `sse` from `@herald/server/fetch`. */
export interface FetchSseOptions<TEvents extends AnyEvents, TState = undefined>
  extends StreamAccessOptions<TEvents, FetchStreamContext<TState>> {
  /**
   * Told of what goes wrong in your code for a stream: an `authorize` that throws (the topic is
   * refused), an undeclared topic from `topics` (the request gets a `500`). Without it they are
   * not reported anywhere: pass your logger.
   */
  onError?: ((error: unknown, request: Request) => void) | undefined
}

/** Per request: what the runtime knows that the `Request` does not carry. */
export interface FetchStreamInit<TState = undefined> {
  /** Given to `topics` and `authorize` as `context.state`: the user your middleware authenticated. */
  state?: TState | undefined
  /**
   * The client's address, which the channel's `maxConnectionsPerClient` and `replayBudget` count
   * by (its default `clientKey` reads it as `req.socket.remoteAddress`). Without it each request
   * counts as a client of its own: those per-client limits do not apply.
   */
  address?: string | undefined
  /** What Next.js passes a route handler besides the request: ignored, so `export const GET = sse(channel)` fits. */
  params?: unknown
}

/** A Fetch handler serving a channel's stream; `init.state` is required when `TState` cannot be undefined. */
export type FetchStreamHandler<TState = undefined> = (
  request: Request,
  ...init: undefined extends TState
    ? [init?: FetchStreamInit<TState>]
    : [init: FetchStreamInit<TState> & { readonly state: TState }]
) => Promise<Response>

/**
 * Serves `channel` as a Web-standard handler: `(request) => Promise<Response>`, streaming through
 * a `ReadableStream`, with everything `channel.handle` does on Node (resume from `Last-Event-ID`
 * or `?lastEventId=`, heartbeats, limits and turn-aways, `HEAD` and `405`). The client leaving
 * (its body cancelled, or `request.signal` aborted) ends the stream. `topics`, `authorize` and
 * `tickets` work as Koa's `sse` does, with a `FetchStreamContext`; a bad ticket is a `401`.
 */
export function sse<TEvents extends AnyEvents, TState = undefined>(
  channel: Pick<Channel<TEvents>, 'handle' | 'events'>,
  options: FetchSseOptions<TEvents, TState> = {},
): FetchStreamHandler<TState> {
  const plan = planStreams<TEvents, FetchStreamContext<TState>>(channel, options, (error, context) =>
    onError(error, context.request),
  )
  functionOption('onError', options.onError)
  const onError = options.onError ?? (() => {})
  const handler = async (request: Request, init: FetchStreamInit<TState> = {}): Promise<Response> => {
    // Any realm's Request will do (an edge sandbox has its own): what is read of it is checked.
    const given = request as Partial<Request> | null | undefined
    if (
      typeof given?.url !== 'string' ||
      typeof given.headers?.forEach !== 'function' ||
      typeof given.method !== 'string'
    ) {
      throw new HeraldError(
        'INVALID_OPTIONS',
        `a Fetch stream handler expects a Request, received ${describe(request)}`,
      )
    }
    if (typeof init !== 'object' || init === null) {
      throw new HeraldError(
        'INVALID_OPTIONS',
        `a Fetch stream handler's init must be an object, received ${describe(init)}`,
      )
    }
    if (init.address !== undefined && typeof init.address !== 'string') {
      throw new HeraldError('INVALID_OPTIONS', `init.address must be a string, received ${describe(init.address)}`)
    }
    const target = new URL(request.url)
    const url = target.pathname + target.search
    const planned = plan(url, request.method)
    if ('refused' in planned) {
      return new Response(planned.refused, { status: 401, headers: { 'content-type': 'text/plain; charset=utf-8' } })
    }
    const { req, res, response } = fetchExchange(request, url, init.address)
    const context = { request, ticket: planned.ticket, state: init.state as TState }
    // The channel reads and writes only what `ExchangeRequest` and `ExchangeResponse` declare
    // (exchange.ts), which Node's objects and these both have.
    try {
      channel.handle(req as unknown as StreamRequest, res as unknown as StreamResponse, planned.access(context))
    } catch (error) {
      res.leave() // frees the request's abort listener; nothing was sent
      throw error
    }
    return response
  }
  return handler as FetchStreamHandler<TState>
}
