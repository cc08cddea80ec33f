// The server of the shared-client browser test: Koa over HTTP/1.1 on 127.0.0.1, serving the test
// page (bundled from test-shared-page.ts by esbuild) and Herald's real channel at `/events`,
// which accepts every topic asked for. It counts the stream requests.
import type { AddressInfo } from 'node:net'
import { fileURLToPath } from 'node:url'
import { type Channel, createChannel } from '@herald/server'
import { sse } from '@herald/server/koa'
import { build } from 'esbuild'
import Koa from 'koa'
import { type BrowserContext, chromium } from 'playwright-core'
import { sharedEvents } from './test-shared-events.ts'

/** A listening test server. */
export interface SharedTestServer {
  readonly channel: Channel<typeof sharedEvents>
  readonly origin: string
  /** The `topic` parameters of every request to `/events`, in order. */
  readonly requests: (readonly string[])[]
  close(): Promise<void>
}

/** Options of the test server. */
export interface SharedTestServerOptions {
  /** How many events the channel keeps for replay. @default the channel's */
  historySize?: number | undefined
}

/** Bundles the page and starts the server. */
export async function startSharedServer(options: SharedTestServerOptions = {}): Promise<SharedTestServer> {
  const bundle = await build({
    entryPoints: [fileURLToPath(new URL('./test-shared-page.ts', import.meta.url))],
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    conditions: ['@herald/source'],
    logLevel: 'warning',
  })
  const script = bundle.outputFiles[0]?.text ?? ''
  const channel = createChannel(sharedEvents, { heartbeatMs: 0, retryMs: 300, historySize: options.historySize })
  const stream = sse(channel, { authorize: () => true })
  const requests: (readonly string[])[] = []
  const app = new Koa()
  app.silent = true
  app.use(async (ctx, next) => {
    if (ctx.path === '/app.js') {
      ctx.type = 'text/javascript'
      ctx.body = script
    } else if (ctx.path === '/') {
      ctx.type = 'html'
      ctx.body =
        '<!doctype html><html><head><meta charset="utf-8"><link rel="icon" href="data:,"></head><body><script type="module" src="/app.js"></script></body></html>'
    } else if (ctx.path === '/events') {
      requests.push(ctx.querystring === '' ? [] : new URLSearchParams(ctx.querystring).getAll('topic'))
      await stream(ctx, next)
    }
  })
  const http = app.listen(0, '127.0.0.1')
  await new Promise<void>((resolve) => http.once('listening', resolve))
  const { port } = http.address() as AddressInfo
  return {
    channel,
    origin: `http://127.0.0.1:${port}`,
    requests,
    async close() {
      await channel.close()
      http.closeAllConnections()
      await new Promise<void>((resolve) => http.close(() => resolve()))
    },
  }
}

/** The server, and a context of Debian's headless Chromium whose pages are one origin's tabs. */
export interface SharedBrowser {
  readonly server: SharedTestServer
  readonly context: BrowserContext
  /** Closes the browser and the server. */
  close(): Promise<void>
}

/** Starts the server and a headless Chromium (`CHROMIUM_PATH`, else /usr/bin/chromium). */
export async function openSharedBrowser(options: SharedTestServerOptions = {}): Promise<SharedBrowser> {
  const server = await startSharedServer(options)
  const browser = await chromium.launch({
    executablePath: process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run'],
  })
  return {
    server,
    context: await browser.newContext(),
    async close() {
      await browser.close()
      await server.close()
    },
  }
}
