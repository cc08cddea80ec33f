import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { defineEvents } from '@herald/schema'
import { build, type Platform } from 'esbuild'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import * as z from 'zod'
import type * as Client from './index.ts'
import { cleanups, nextOpen, serveHerald } from './test-herald-server.ts'

// What a bundler makes of the client: for the browser (the `browser` condition of the package's
// `#fallback-event-source` import), Herald's fetch-based EventSource stays out unless the app
// imports it; for Node it is the fallback. The bundles run here, in Node, against a real server.

const root = fileURLToPath(new URL('../../..', import.meta.url))
const events = defineEvents({ seq: z.number().int() })
const jobs = cleanups()
afterEach(() => jobs.run())

let dir = ''
beforeAll(async () => {
  // Inside the repo, so the bundles' `zod` import resolves through the workspace's node_modules.
  const cache = join(root, 'node_modules/.cache')
  await mkdir(cache, { recursive: true })
  dir = await mkdtemp(join(cache, 'herald-browser-'))
})
afterAll(async () => {
  if (dir !== '') await rm(dir, { recursive: true, force: true })
})

/** Bundles `source` like an app's bundler would, minified, zod external; returns the code. */
async function bundle(source: string, platform: Platform): Promise<string> {
  const result = await build({
    stdin: { contents: source, resolveDir: root, loader: 'ts' },
    bundle: true,
    write: false,
    format: 'esm',
    platform,
    target: 'es2022',
    minify: true,
    conditions: ['@herald/source'],
    external: ['zod'],
    logLevel: 'silent',
  })
  return result.outputFiles[0]?.text ?? ''
}

/** Bundles `source` and imports the bundle. */
async function load(source: string, platform: Platform): Promise<typeof Client> {
  const file = join(dir, `${platform}-${Math.random().toString(36).slice(2)}.mjs`)
  await writeFile(file, await bundle(source, platform))
  return import(pathToFileURL(file).href)
}

const createClientOnly = "export { createClient, isHeraldError } from '@herald/client'"
const withHerald = "export { createClient, HeraldEventSource } from '@herald/client'"
// Strings only Herald's EventSource holds.
const heraldEventSourceCode = ['text/event-stream', 'Last-Event-ID']

describe('the browser build', () => {
  it("leaves Herald's EventSource out of an app that does not import it", async () => {
    const browser = await bundle(createClientOnly, 'browser')
    const node = await bundle(createClientOnly, 'node')
    for (const text of heraldEventSourceCode) {
      expect(browser.includes(text), `browser bundle holds '${text}'`).toBe(false)
      expect(node.includes(text), `node bundle lacks '${text}'`).toBe(true)
    }
  })

  it('keeps it when the app imports HeraldEventSource', async () => {
    const browser = await bundle(withHerald, 'browser')
    for (const text of heraldEventSourceCode) expect(browser.includes(text), `lacks '${text}'`).toBe(true)
  })

  it("uses the runtime's EventSource", async () => {
    const { createClient } = await load(createClientOnly, 'browser')
    const opened: string[] = []
    const Native = class extends EventTarget {
      readyState = 0
      withCredentials = false
      readonly url: string
      constructor(url: string) {
        super()
        this.url = url
        opened.push(url)
      }
      close() {}
    }
    ;(globalThis as { EventSource?: unknown }).EventSource = Native
    jobs.add(() => delete (globalThis as { EventSource?: unknown }).EventSource)
    const client = createClient(events, 'http://127.0.0.1:1/events')
    jobs.add(() => client.close())
    // The connection's code loads asynchronously (a chunk of its own when the bundler splits).
    await expect.poll(() => opened).toEqual(['http://127.0.0.1:1/events'])
  })

  it('asks for HeraldEventSource when headers are given or the runtime has none', async () => {
    const { createClient } = await load(createClientOnly, 'browser')
    const url = 'http://127.0.0.1:1/events'
    const invalid = (message: string) => expect.objectContaining({ code: 'INVALID_OPTIONS', message })
    expect(() => createClient(events, url, { headers: { authorization: 'Bearer x' } })).toThrow(
      invalid(
        "options 'headers' and 'fetch' need Herald's EventSource, which browser bundles leave out: pass { EventSource: HeraldEventSource }",
      ),
    )
    expect(() => createClient(events, url)).toThrow(
      invalid(
        "this runtime has no EventSource: use Herald's EventSource, which browser bundles leave out: pass { EventSource: HeraldEventSource }",
      ),
    )
  })

  it('sends headers through an explicit HeraldEventSource', async () => {
    const { createClient, HeraldEventSource } = await load(withHerald, 'browser')
    const server = await serveHerald(events)
    jobs.add(() => server.close())
    const client = createClient(events, server.url, { EventSource: HeraldEventSource, headers: { 'x-api-key': 'k' } })
    jobs.add(() => client.close())
    const seqs: number[] = []
    client.on('seq', (seq) => seqs.push(seq))
    await nextOpen(client)
    server.channel.emit('seq', 1)
    await expect.poll(() => seqs).toEqual([1])
    expect(server.requests[0]?.headers['x-api-key']).toBe('k')
  })
})

describe('the Node build', () => {
  it("falls back on Herald's EventSource with no options", async () => {
    const { createClient } = await load(createClientOnly, 'node')
    const server = await serveHerald(events)
    jobs.add(() => server.close())
    const client = createClient(events, server.url)
    jobs.add(() => client.close())
    const seqs: number[] = []
    client.on('seq', (seq) => seqs.push(seq))
    await nextOpen(client)
    server.channel.emit('seq', 2)
    await expect.poll(() => seqs).toEqual([2])
  })
})
