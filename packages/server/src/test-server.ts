// Test fixtures: a real Koa server on an ephemeral port, and a raw reader of its byte stream.
import type { AddressInfo } from 'node:net'
import type { AnyEvents } from '@herald/schema'
import Router from '@koa/router'
import Koa from 'koa'
import { afterEach, type TestContext } from 'vitest'
import { sse } from './koa.ts'
import type { Channel } from './types.ts'

/** Registers an `afterEach` that runs what was given to the returned `defer`, last first. */
export function useCleanup(): (...fns: (() => unknown)[]) => void {
  const fns: (() => unknown)[] = []
  afterEach(async () => {
    for (const fn of fns.splice(0).reverse()) await fn()
  })
  return (...more) => void fns.push(...more)
}

/**
 * Like `useCleanup`, for one test that runs at the same time as others: what is given to the
 * returned `defer` runs, last first, when that test finishes (afterEach would also clean up
 * after the others).
 */
export function cleanupFor({
  onTestFinished,
}: Pick<TestContext, 'onTestFinished'>): (...fns: (() => unknown)[]) => void {
  const fns: (() => unknown)[] = []
  onTestFinished(async () => {
    for (const fn of fns.splice(0).reverse()) await fn()
  })
  return (...more) => void fns.push(...more)
}

/** A listening Koa app serving `channel` at `/events`. */
export interface TestServer {
  readonly url: string
  close(): Promise<void>
}

export async function serveChannel(channel: Pick<Channel<AnyEvents>, 'handle' | 'events'>): Promise<TestServer> {
  const app = new Koa()
  const router = new Router()
  router.get('/events', sse(channel))
  app.use(router.routes())
  const server = app.listen(0, '127.0.0.1')
  await new Promise<void>((resolve) => server.once('listening', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}/events`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections()
        server.close((error) => (error ? reject(error) : resolve()))
      }),
  }
}

/** The raw text of an SSE response, read as it arrives. */
export interface RawStream {
  readonly response: Response
  /** Everything received so far. */
  text(): string
  /** Resolves once the received text contains `needle` (or rejects after `ms`). */
  waitFor(needle: string | RegExp, ms?: number): Promise<string>
  /** Resolves when the server ends the response. */
  ended: Promise<void>
  close(): void
}

export async function openRaw(url: string, headers: Record<string, string> = {}): Promise<RawStream> {
  const controller = new AbortController()
  const response = await fetch(url, { headers, signal: controller.signal })
  let received = ''
  const waiters = new Set<() => void>()
  const reader = response.body?.getReader()
  const decoder = new TextDecoder()
  const ended = (async () => {
    try {
      for (;;) {
        const chunk = await reader?.read()
        if (chunk === undefined || chunk.done) break
        received += decoder.decode(chunk.value, { stream: true })
        for (const wake of waiters) wake()
      }
    } catch {
      // aborted by close()
    }
  })()
  return {
    response,
    text: () => received,
    ended,
    close: () => controller.abort(),
    waitFor(needle, ms = 2000) {
      const found = () => (typeof needle === 'string' ? received.includes(needle) : needle.test(received))
      if (found()) return Promise.resolve(received)
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(check)
          reject(new Error(`timed out waiting for ${String(needle)}; received ${JSON.stringify(received)}`))
        }, ms)
        const check = () => {
          if (!found()) return
          clearTimeout(timer)
          waiters.delete(check)
          resolve(received)
        }
        waiters.add(check)
      })
    },
  }
}

/** The `id:` values of the events in an SSE text, in order (Herald's own `herald:` blocks left out). */
export function idsIn(text: string): string[] {
  return [...text.matchAll(/^id: (.*)\nevent: (.*)$/gm)]
    .filter((match) => !(match[2] as string).startsWith('herald:'))
    .map((match) => match[1] as string)
}
