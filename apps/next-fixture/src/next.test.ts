import { type ChildProcess, spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { connect as connectSocket, createServer } from 'node:net'
import { fileURLToPath } from 'node:url'
import { createClient, type HeraldClient, HeraldEventSource } from '@herald/client'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { fixtureEvents } from './events.ts'

// A real Next.js App Router app (this workspace) serving a channel from a route handler through
// `@herald/server/fetch`, read by Herald's own client over real HTTP. `next dev` by default;
// HERALD_NEXT_MODE=start runs `next build` then `next start`. The app imports the built packages
// (`dist`), as a user's does: run `npm run build` first (the root `npm test` does).

const root = fileURLToPath(new URL('..', import.meta.url))
const nextBin = fileURLToPath(import.meta.resolve('next/dist/bin/next'))
const mode = process.env['HERALD_NEXT_MODE'] === 'start' ? 'start' : 'dev'
// Vitest sets NODE_ENV=test, which Next refuses to run under.
const env: NodeJS.ProcessEnv = {
  ...process.env,
  NEXT_TELEMETRY_DISABLED: '1',
  NODE_ENV: mode === 'dev' ? 'development' : 'production',
}

let server: ChildProcess | undefined
let base = ''
let output = ''
const clients: { close(): void }[] = []

const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const address = probe.address()
      probe.close(() => (typeof address === 'object' && address !== null ? resolve(address.port) : reject()))
    })
  })

const run = (args: string[]) =>
  new Promise<void>((resolve, reject) => {
    const child = spawn(process.execPath, [nextBin, ...args], { cwd: root, env, stdio: 'pipe' })
    child.stdout.on('data', (chunk: Buffer) => (output += chunk))
    child.stderr.on('data', (chunk: Buffer) => (output += chunk))
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`next ${args[0]}: ${code}\n${output}`))))
  })

async function waitFor<T>(what: string, check: () => Promise<T | undefined>, ms = 60_000): Promise<T> {
  const deadline = Date.now() + ms
  for (;;) {
    const value = await check().catch(() => undefined)
    if (value !== undefined) return value
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}\n${output}`)
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}

// The Node route's channel is read and fed through /emit; the edge route's through its own query.
const size = (edge = false) =>
  fetch(edge ? `${base}/edge?size` : `${base}/emit`)
    .then((response) => response.json())
    .then((body) => (body as { size: number }).size)
const emit = (seq: number, edge = false) =>
  fetch(
    edge ? `${base}/edge?emit=${seq}` : `${base}/emit`,
    edge ? {} : { method: 'POST', body: JSON.stringify({ seq }) },
  )
    .then((response) => response.json())
    .then((body) => (body as { id: string }).id)
const sizeIs = (expected: number, edge = false) =>
  waitFor(`channel.size ${expected}`, async () => ((await size(edge)) === expected ? true : undefined), 10_000)

const receivedOf = (seqs: number[]) => (count: number) =>
  waitFor(`${count} events`, async () => (seqs.length >= count ? seqs.slice() : undefined), 10_000)

/** A typed client of the app's stream, and the `seq` of every `n` it received. */
function connect(options: Parameters<typeof createClient<typeof fixtureEvents>>[2] = {}, path = '/events') {
  const client: HeraldClient<typeof fixtureEvents> = createClient(fixtureEvents, `${base}${path}`, options)
  clients.push(client)
  const seqs: number[] = []
  client.on('n', ({ seq }) => seqs.push(seq))
  const opened = new Promise<void>((resolve) => client.onOpen(resolve))
  return { client, seqs, opened, received: receivedOf(seqs) }
}

/** Herald's EventSource on the app's stream, resuming with a `Last-Event-ID` header from `lastEventId`. */
function resume(lastEventId: string) {
  const source = new HeraldEventSource(`${base}/events`, { lastEventId })
  clients.push(source)
  const seqs: number[] = []
  source.addEventListener('n', (event) =>
    seqs.push((JSON.parse((event as MessageEvent<string>).data) as { seq: number }).seq),
  )
  return { source, received: receivedOf(seqs) }
}

beforeAll(async () => {
  for (const built of ['schema/dist/index.js', 'server/dist/fetch.js', 'client/dist/index.js']) {
    if (!existsSync(new URL(`../../../packages/${built}`, import.meta.url))) {
      throw new Error(`packages/${built} is missing: run \`npm run build\` first`)
    }
  }
  const port = await freePort()
  base = `http://127.0.0.1:${port}`
  if (mode === 'start') await run(['build'])
  // Its own process group, so that afterAll ends the server and the workers it starts.
  server = spawn(process.execPath, [nextBin, mode, '-p', String(port), '-H', '127.0.0.1'], {
    cwd: root,
    env,
    stdio: 'pipe',
    detached: true,
  })
  server.stdout?.on('data', (chunk: Buffer) => (output += chunk))
  server.stderr?.on('data', (chunk: Buffer) => (output += chunk))
  // The first request compiles the route under `next dev`.
  await waitFor('the app', async () => ((await size()) === 0 ? true : undefined))
}, 180_000)

afterAll(async () => {
  for (const client of clients) client.close()
  if (server?.pid === undefined || server.exitCode !== null) return
  const exited = new Promise((resolve) => server?.once('exit', resolve))
  process.kill(-server.pid, 'SIGTERM')
  await exited
})

describe(`a Next.js route handler serving a channel (next ${mode})`, () => {
  it('streams events to Herald’s client, resumes from an id, and frees each stream when its client leaves', async () => {
    const first = connect()
    await first.opened
    await sizeIs(1)
    const ids = [await emit(1), await emit(2)]
    expect(await first.received(2)).toEqual([1, 2])
    expect(first.client.lastEventId).toBe(ids[1])
    first.client.close()
    await sizeIs(0)

    // Missed while no client was connected: resumed from the `lastEventId` query parameter...
    ids.push(await emit(3), await emit(4))
    const fromQuery = connect({ lastEventId: ids[1] })
    expect(await fromQuery.received(2)).toEqual([3, 4])
    // ...and from the Last-Event-ID header.
    const fromHeader = resume(ids[2] as string)
    expect(await fromHeader.received(1)).toEqual([4])
    await sizeIs(2)
    await emit(5)
    expect(await fromHeader.received(2)).toEqual([4, 5])
    expect(await fromQuery.received(3)).toEqual([3, 4, 5])

    fromQuery.client.close()
    fromHeader.source.close()
    await sizeIs(0)
  })

  it('streams from an edge route too (Web APIs only), and frees the stream when its client leaves', async () => {
    const edge = connect({}, '/edge')
    await edge.opened
    await sizeIs(1, true)
    const id = await emit(1, true)
    expect(await edge.received(1)).toEqual([1])
    edge.client.close()
    await sizeIs(0, true)
    await emit(2, true)
    const resumed = connect({ lastEventId: id }, '/edge')
    expect(await resumed.received(1)).toEqual([2])
    resumed.client.close()
    await sizeIs(0, true)
  })

  it('cuts off an edge stream whose client stops reading, and serves on', async () => {
    await sizeIs(0, true)
    const { port } = new URL(base)
    const socket = connectSocket(Number(port), '127.0.0.1')
    socket.on('error', () => {})
    socket.write(`GET /edge HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nAccept: text/event-stream\r\n\r\n`)
    await sizeIs(1, true)
    socket.pause() // reads nothing more: the kernel's buffers fill, then Next's, then Herald's queue
    // 1 MiB a round (16 blobs of 64 KiB), until the stream is cut for holding over 256 KiB unsent.
    let sent = 0
    while ((await size(true)) > 0 && sent < 64) {
      await fetch(`${base}/edge?fill=16`)
      sent += 1
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
    console.log(`edge stream of a client that stopped reading cut after ${sent} MiB`)
    expect(await size(true)).toBe(0)
    socket.destroy()
    // The route serves the next client as before.
    const after = connect({}, '/edge')
    await after.opened
    await emit(3, true)
    expect(await after.received(1)).toEqual([3])
    after.client.close()
    await sizeIs(0, true)
  })
})
