import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { HeraldEventSource } from './event-source.ts'
import { end, send, sleep, sseHead, useSseServer, waitFor } from './test-sse-server.ts'

const { srv, open } = useSseServer()

const timeouts = (): number => process.getActiveResourcesInfo().filter((name) => name === 'Timeout').length

describe('HeraldEventSource: close()', () => {
  it('ends the server-side connection and fires nothing more', async () => {
    const url = srv.route('/stream', async ({ res }) => {
      sseHead(res)
      await send(res, 'data: a\n\n')
      for (let i = 0; i < 20 && !res.destroyed; i++) await send(res, 'data: more\n\n')
    })
    const { es, events, errors } = open(url)
    await waitFor(() => events.length === 1)
    es.close()
    const count = events.length
    expect(await waitFor(() => srv.hits('/stream')[0]?.abortedAt !== undefined, 500)).toBe(true)
    // Not a connection count: after an abort undici opens a spare idle keep-alive socket on its
    // own (plain fetch does too); it holds no request and `server.close()` drops it.
    await sleep(50)
    expect(events).toHaveLength(count)
    expect(errors).toEqual([])
  })

  it('from a message listener, stops the rest of the same chunk', async () => {
    const url = srv.route('/one-chunk', async ({ res }) => {
      sseHead(res)
      await send(res, 'data: a\n\ndata: b\n\ndata: c\n\n')
    })
    const { es, events, errors } = open(url)
    es.addEventListener('message', () => es.close())
    await sleep(100)
    expect(events.map((e) => e.data)).toEqual(['a'])
    expect(errors).toEqual([])
  })

  it('aborts a request that has no response yet', async () => {
    const url = srv.route('/slow-head', async ({ res }) => {
      await sleep(200)
      if (!res.destroyed) sseHead(res)
    })
    const { es, errors, opens } = open(url)
    await waitFor(() => srv.hits('/slow-head').length === 1)
    es.close()
    expect(await waitFor(() => srv.hits('/slow-head')[0]?.abortedAt !== undefined, 500)).toBe(true)
    await sleep(250)
    expect(opens).toEqual([])
    expect(errors).toEqual([])
  })

  it('cancels a pending reconnect timer', async () => {
    const url = srv.route('/pending', async (ctx) => {
      sseHead(ctx.res)
      await send(ctx.res, 'retry: 150\ndata: a\n\n')
      end(ctx)
    })
    const { es, errors } = open(url)
    await waitFor(() => errors.length === 1)
    const before = timeouts()
    es.close()
    expect(timeouts()).toBe(before - 1)
    await sleep(250)
    expect(srv.hits('/pending')).toHaveLength(1)
    expect(errors).toHaveLength(1)
  })
})

// A child process that opens, closes and fails then closes its server without
// closeAllConnections(): it exits on its own only if no timer or socket is left behind.
const child = `
import http from 'node:http'
const { HeraldEventSource } = await import(process.env.EVENT_SOURCE_URL)
const server = http.createServer((req, res) => {
  const type = { 'content-type': 'text/event-stream' }
  if (req.url === '/stream') { res.writeHead(200, type); res.write('data: a\\n\\n') }
  else if (req.url === '/ends') { res.writeHead(200, { ...type, connection: 'close' }); res.end('retry: 600000\\ndata: b\\n\\n') }
  else { res.writeHead(500); res.write('oops') }
})
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
const base = 'http://127.0.0.1:' + server.address().port
const next = (es, type) => new Promise((resolve) => es.addEventListener(type, resolve, { once: true }))
const a = new HeraldEventSource(base + '/stream')
await next(a, 'message')
a.close()
const b = new HeraldEventSource(base + '/ends')
await next(b, 'error')
b.close()
const c = new HeraldEventSource(base + '/fail')
await next(c, 'error')
server.close()
process.stdout.write('done ' + a.readyState + b.readyState + c.readyState)
`

describe('HeraldEventSource: open handles', () => {
  it('leaves nothing that keeps a process alive after close() or a failed connection', async () => {
    const env = { ...process.env, EVENT_SOURCE_URL: new URL('./event-source.ts', import.meta.url).href }
    const cwd = fileURLToPath(new URL('../../..', import.meta.url))
    // The workspace packages from their source, as in the suite, not from a `dist` that may be stale.
    const args = ['--conditions=@herald/source', '--import', 'tsx', '--input-type=module', '-e', child]
    const stdout = await new Promise<string>((resolve, reject) => {
      execFile(process.execPath, args, { cwd, env, timeout: 8000 }, (error, out) =>
        error ? reject(error) : resolve(out),
      )
    })
    expect(stdout).toBe('done 222')
  })

  it('is closed for good: a closed source never reconnects', async () => {
    const es = new HeraldEventSource(`${srv.origin}/never`)
    es.close()
    await sleep(100)
    expect(srv.hits('/never')).toEqual([])
    expect(es.readyState).toBe(HeraldEventSource.CLOSED)
  })
})
