// The server of the shared-client browser test: Koa over HTTP/1.1 on 127.0.0.1, serving the test
// page (bundled from test-shared-page.ts by esbuild) and Herald's real channel at `/events`,
// which accepts every topic asked for. It counts the stream requests. With `tickets`, the stream
// requires a ticket, issued by `POST /tickets?topic=…` for exactly the topics asked.
import type { AddressInfo, Socket } from 'node:net'
import { fileURLToPath } from 'node:url'
import { type Channel, createChannel, createTickets } from '@herald/server'
import { sse } from '@herald/server/koa'
import { build } from 'esbuild'
import Koa from 'koa'
import type { BrowserContext } from 'playwright-core'
import { launchChromium } from '../../../scripts/chromium.mjs'
import { sharedEvents } from './test-shared-events.ts'

/** A listening test server. */
export interface SharedTestServer {
  readonly channel: Channel<typeof sharedEvents>
  readonly origin: string
  /** The `topic` parameters of every request to `/events`, in order. */
  readonly requests: (readonly string[])[]
  /** The topics of every ticket `POST /tickets` issued, in order (with `tickets`). */
  readonly tickets: (readonly string[])[]
  /** Destroys the socket of every open stream, as a dropped connection; returns how many. */
  kill(): number
  close(): Promise<void>
}

/** Options of the test server. */
export interface SharedTestServerOptions {
  /** How many events the channel keeps for replay. @default the channel's */
  historySize?: number | undefined
  /** Whether the stream requires a ticket, issued by `POST /tickets?topic=…` for those topics. @default false */
  tickets?: boolean | undefined
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
  const issuer = options.tickets
    ? createTickets({ secret: 'a shared-client test secret, 32 bytes or more' })
    : undefined
  const stream = sse(channel, { authorize: () => true, tickets: issuer })
  const requests: (readonly string[])[] = []
  const tickets: (readonly string[])[] = []
  const streamSockets = new Set<Socket>()
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
    } else if (ctx.path === '/tickets' && ctx.method === 'POST' && issuer !== undefined) {
      const topics = new URLSearchParams(ctx.querystring).getAll('topic')
      tickets.push(topics)
      ctx.body = { ticket: issuer.issue({ user: 'ann', topics }) }
    } else if (ctx.path === '/events') {
      requests.push(ctx.querystring === '' ? [] : new URLSearchParams(ctx.querystring).getAll('topic'))
      const socket = ctx.req.socket
      streamSockets.add(socket)
      socket.once('close', () => streamSockets.delete(socket))
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
    tickets,
    kill() {
      const count = streamSockets.size
      for (const socket of streamSockets) socket.destroy()
      return count
    },
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
  const browser = await launchChromium()
  return {
    server,
    context: await browser.newContext(),
    async close() {
      await browser.close()
      await server.close()
    },
  }
}
