// Fixtures of the engine conformance suite, shipped with it: a channel served by a plain node:http
// server on an ephemeral port, and a reader of a stream's raw text. No Koa, no EventSource, so an
// engine package needs nothing more than vitest to run the suite.
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { type AnyEvents, RESERVED_PREFIX } from '@herald/schema'
import type { Channel } from './types.ts'

/** A listening node:http server that hands every request to a channel. */
export interface ProbeServer {
  readonly url: string
  close(): Promise<void>
}

/** Serves `channel` at every path of a new server on 127.0.0.1 and a free port. */
export async function serveProbe(channel: Pick<Channel<AnyEvents>, 'handle'>): Promise<ProbeServer> {
  const server = http.createServer((req, res) => channel.handle(req, res))
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

/** One open stream, read as it arrives. */
export interface ProbeStream {
  /** Everything received so far. */
  text(): string
  /** Resolves when the response ends, however it ends. */
  readonly ended: Promise<void>
  close(): void
}

/**
 * Opens a stream with `headers` on its own socket; rejects when the request fails before a
 * response (the server dropped the connection).
 */
export function openProbe(url: string, headers: Record<string, string> = {}): Promise<ProbeStream> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { headers, agent: false }, (res) => {
      let received = ''
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => {
        received += chunk
      })
      const ended = new Promise<void>((done) => {
        res.once('close', done)
        res.once('error', () => done())
      })
      resolve({ text: () => received, ended, close: () => req.destroy() })
    })
    req.on('error', reject) // after the response too: a reset then only ends the stream
  })
}

/** The `id:` values of the events in an SSE text, in order (Herald's own `herald:` blocks left out). */
export function eventIdsIn(text: string): string[] {
  return [...text.matchAll(/^id: (.*)\nevent: (.*)$/gm)]
    .filter((match) => !(match[2] as string).startsWith(RESERVED_PREFIX))
    .map((match) => match[1] as string)
}

/** Resolves once `read()` returns true, or rejects after `ms` with what `describe()` says. */
export async function until(read: () => boolean, describe: () => string, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms
  while (!read()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms; ${describe()}`)
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
}
