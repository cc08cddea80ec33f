// The server of the browser hook tests: Koa on 127.0.0.1, port 0, serving the test page (bundled
// from test-app.tsx by esbuild, React's development build, so StrictMode double-mounts), a page
// rendered on the server for hydration, and Herald's real channel at `/events`, which accepts
// every room asked for. It records the topics of every stream request and can cut every stream.
// The page and the server render use the React version asked for (see test-react.ts).
import type { AddressInfo, Socket } from 'node:net'
import { fileURLToPath } from 'node:url'
import { type Channel, createChannel } from '@herald/server'
import { sse } from '@herald/server/koa'
import { build } from 'esbuild'
import Koa from 'koa'
import { events } from './test-events.ts'
import { loadServerRender, type ReactVersion, reactPlugin } from './test-react.ts'
import type { Widget } from './test-view.tsx'

/** A listening test server. */
export interface TestServer {
  readonly channel: Channel<typeof events>
  readonly origin: string
  /** The `topic` parameters of every request to `/events`, in order. */
  readonly requests: (readonly string[])[]
  /** Destroys every open stream socket, as a network failure would. */
  kill(): void
  close(): Promise<void>
}

/** Widgets the server-rendered page at `/ssr` shows. */
export const SSR_WIDGETS: Widget[] = ['age', 'state', 'direct', 'listener']

const page = (body: string) =>
  `<!doctype html><html><head><meta charset="utf-8"><link rel="icon" href="data:,"></head><body><div id="root">${body}</div><script type="module" src="/app.js"></script></body></html>`

/** Bundles the test app on React `react` and starts the server. */
export async function startTestServer(react: ReactVersion): Promise<TestServer> {
  const ssr = await loadServerRender(react)
  const bundle = await build({
    entryPoints: [fileURLToPath(new URL('./test-app.tsx', import.meta.url))],
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    jsx: 'automatic',
    conditions: ['@herald/source'],
    define: { 'process.env.NODE_ENV': '"development"' },
    plugins: [reactPlugin(react)],
    logLevel: 'warning',
  })
  const script = bundle.outputFiles[0]?.text ?? ''
  const channel = createChannel(events, { heartbeatMs: 0, retryMs: 300 })
  const stream = sse(channel, { authorize: () => true })
  const requests: (readonly string[])[] = []
  const sockets = new Set<Socket>()
  const app = new Koa()
  app.silent = true
  app.use(async (ctx, next) => {
    if (ctx.path === '/app.js') {
      ctx.type = 'text/javascript'
      ctx.body = script
    } else if (ctx.path === '/') {
      ctx.type = 'html'
      ctx.body = page('')
    } else if (ctx.path === '/ssr') {
      ctx.type = 'html'
      ctx.body = page(ssr.renderView({ client: null, widgets: SSR_WIDGETS, label: 'a' }))
    } else if (ctx.path === '/events') {
      requests.push(new URLSearchParams(ctx.querystring).getAll('topic'))
      const socket = ctx.req.socket
      sockets.add(socket)
      socket.once('close', () => sockets.delete(socket))
      await stream(ctx, next)
    }
  })
  const server = app.listen(0, '127.0.0.1')
  await new Promise<void>((resolve) => server.once('listening', resolve))
  const { port } = server.address() as AddressInfo
  return {
    channel,
    origin: `http://127.0.0.1:${port}`,
    requests,
    kill() {
      for (const socket of sockets) socket.destroy()
    },
    async close() {
      await channel.close()
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}
