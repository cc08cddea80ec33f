// Fixtures of the topic tests: a contract with topics, a real Koa server serving it through
// `sse(channel, options)` behind a simulated authentication, the blocks of an SSE text, and a
// seeded random source.
import type { AddressInfo } from 'node:net'
import { defineEvents } from '@herald/schema'
import Router from '@koa/router'
import Koa, { type Context, type Middleware } from 'koa'
import * as z from 'zod'
import { type SseOptions, sse } from './koa.ts'
import type { Channel } from './types.ts'

/** Users and rooms; `n` carries the number of the emit, so each event can be told apart. */
export const topicEvents = defineEvents(
  { n: z.object({ seq: z.int() }), done: z.null() },
  { topics: { user: z.string().regex(/^[a-z0-9]+$/), room: z.int().positive() } },
)

/** The contract of the topic tests. */
export type TopicEvents = typeof topicEvents

/** One block of an SSE text: its fields (the last of each), comments left out. */
export interface Block {
  readonly id?: string
  readonly event?: string
  readonly data?: string
  readonly retry?: string
}

/** The complete blocks of an SSE text, in order (a block cut at the end is left out). */
export function blocksIn(text: string): Block[] {
  const parts = text.split('\n\n')
  parts.pop()
  const blocks: Block[] = []
  for (const part of parts) {
    const block: Record<string, string> = {}
    for (const line of part.split('\n')) {
      if (line.startsWith(':') || line === '') continue
      const colon = line.indexOf(':')
      const value = line.slice(colon + 1)
      block[line.slice(0, colon)] = value.startsWith(' ') ? value.slice(1) : value
    }
    if (Object.keys(block).length > 0) blocks.push(block)
  }
  return blocks
}

/** The Herald control blocks of `name` in an SSE text, their data decoded. */
export function controlsIn(text: string, name: string): unknown[] {
  return blocksIn(text)
    .filter((block) => block.event === name)
    .map((block) => JSON.parse(block.data as string) as unknown)
}

/** The `seq` of every `n` event in an SSE text, in order. */
export function seqsIn(text: string): number[] {
  return blocksIn(text)
    .filter((block) => block.event === 'n')
    .map((block) => (JSON.parse(block.data as string) as { seq: number }).seq)
}

/** The user a request says it is (the `x-user` header, else `?as=`), as a real app's auth would. */
export const authenticate: Middleware = async (ctx, next) => {
  const user = ctx.get('x-user') || ctx.query['as']
  if (typeof user !== 'string' || user === '') return ctx.throw(401, 'sign in first')
  ctx.state['user'] = user
  await next()
}

/** The user `authenticate` found. */
export const userOf = (ctx: Context): string => ctx.state['user'] as string

/** A listening Koa app: `/events` is `sse(channel, options)` behind `before` (authenticate by default). */
export interface TopicServer {
  readonly url: string
  readonly port: number
  readonly app: Koa
  /** Errors Koa emitted (`app.on('error')`). */
  readonly errors: unknown[]
  close(): Promise<void>
}

/** Serves `channel` at `/events` through `sse(channel, options)`, after the middleware of `before`. */
export async function serveTopics(
  channel: Channel<TopicEvents>,
  options: SseOptions<TopicEvents>,
  before: Middleware[] = [authenticate],
  routes: (router: Router) => void = () => {},
): Promise<TopicServer> {
  const app = new Koa()
  const errors: unknown[] = []
  app.silent = true
  app.on('error', (error) => errors.push(error))
  const router = new Router()
  router.get('/events', ...before, sse(channel, options))
  routes(router)
  app.use(router.routes())
  const server = app.listen(0, '127.0.0.1')
  await new Promise<void>((resolve) => server.once('listening', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}/events`,
    port,
    app,
    errors,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

/** A seeded source of numbers in [0, 1) (mulberry32): the same seed, the same run. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}
