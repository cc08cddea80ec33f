// Fixtures of the Redis end-to-end tests: a Herald instance (Koa + `sse` with topics + a channel on
// the Redis engine, with its own node-redis client), a TCP proxy per client that can be pointed at
// another instance (so a reconnect lands elsewhere, as behind a load balancer), a Herald client
// that records what it receives, and polling. Real sockets and real redis-server processes only.
import { spawn } from 'node:child_process'
import http from 'node:http'
import net, { type AddressInfo, type Socket } from 'node:net'
import { fileURLToPath } from 'node:url'
import { createClient as createHeraldClient, type HeraldClient, type HeraldError } from '@herald/client'
import { defineEvents, REFUSED_HEADER, type Topic } from '@herald/schema'
import { type Channel, createChannel, type EventId } from '@herald/server'
import { sse } from '@herald/server/koa'
import Koa from 'koa'
import { createClient as createRedisClient } from 'redis'
import * as z from 'zod'
import { createRedisEngine } from './index.ts'

/** The contract: `n` says which instance emitted it and its number there. */
export const feed = defineEvents(
  { n: z.object({ from: z.string(), seq: z.int() }) },
  { topics: { room: z.int().positive() } },
)
export type Feed = typeof feed
export type Room = Topic<Feed>

/** Options of one instance's engine and channel. */
export interface InstanceOptions {
  readonly publishTimeoutMs?: number
  readonly historySize?: number
  readonly heartbeatMs?: number
}

/** One Herald server: its channel on the shared Redis, served at `/events`. */
export interface Instance {
  readonly name: string
  readonly port: number
  readonly channel: Channel<Feed, Promise<EventId>>
  readonly engine: Awaited<ReturnType<typeof createRedisEngine>>
  /** The `Last-Event-ID` of every stream request it got ('' for none), in order. */
  readonly resumes: string[]
  close(): Promise<void>
}

/** Starts an instance on 127.0.0.1, port 0, with its own node-redis client to `redisUrl`. */
export async function startInstance(
  name: string,
  redisUrl: string,
  key: string,
  options: InstanceOptions = {},
): Promise<Instance> {
  // Reconnect quickly: the tests restart Redis and wait for it.
  const redis = createRedisClient({ url: redisUrl, socket: { reconnectStrategy: () => 50 } })
  redis.on('error', () => {}) // reported through the engine's health; node-redis throws without a listener
  await redis.connect()
  const engine = await createRedisEngine({
    redis,
    key,
    ...(options.historySize === undefined ? {} : { historySize: options.historySize }),
    ...(options.publishTimeoutMs === undefined ? {} : { publishTimeoutMs: options.publishTimeoutMs }),
  })
  const channel = createChannel(feed, { engine, retryMs: 20, heartbeatMs: options.heartbeatMs ?? 0 })
  const resumes: string[] = []
  const app = new Koa()
  app.silent = true
  const stream = sse(channel, { authorize: (_ctx, topic) => topic.startsWith('room:') })
  app.use(async (ctx, next) => {
    if (ctx.path !== '/events') return next()
    resumes.push(ctx.get('last-event-id'))
    return stream(ctx, next)
  })
  const server = app.listen(0, '127.0.0.1')
  await new Promise<void>((resolve) => server.once('listening', resolve))
  const { port } = server.address() as AddressInfo
  let closed = false
  return {
    name,
    port,
    channel,
    engine,
    resumes,
    async close() {
      if (closed) return
      closed = true
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
      await channel.close()
      await engine.close()
      redis.destroy()
    },
  }
}

/** A TCP proxy in front of one client: `target` may change; `cut` resets the open connections. */
export interface SwitchProxy {
  readonly port: number
  /** The instance port new connections go to. */
  target: number
  /** The ports each connection went to, in order. */
  readonly history: readonly number[]
  /** Resets every open connection (an RST to the client, as a network drop); returns how many. */
  cut(): number
  close(): Promise<void>
}

/** Starts a proxy on 127.0.0.1, port 0, forwarding to `target`. */
export async function startSwitchProxy(target: number): Promise<SwitchProxy> {
  const open = new Set<Socket>()
  const history: number[] = []
  const server = net.createServer((client) => {
    history.push(proxy.target)
    const upstream = net.connect({ host: '127.0.0.1', port: proxy.target })
    open.add(client)
    const teardown = () => {
      open.delete(client)
      client.destroy()
      upstream.destroy()
    }
    client.on('error', teardown)
    upstream.on('error', () => {
      if (!client.destroyed) client.resetAndDestroy()
      teardown()
    })
    client.once('close', teardown)
    upstream.once('close', teardown)
    client.pipe(upstream)
    upstream.pipe(client)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const proxy: SwitchProxy = {
    port: (server.address() as AddressInfo).port,
    target,
    history,
    cut() {
      const count = open.size
      for (const socket of open) socket.resetAndDestroy()
      return count
    },
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()))
      proxy.cut()
      await closed
    },
  }
  return proxy
}

/** One `n` event a client received. */
export interface Received {
  readonly id: string
  readonly from: string
  readonly seq: number
}

/** A Herald client (Node, Herald's EventSource) recording every `n` event and every error. */
export interface Tracked {
  readonly client: HeraldClient<Feed>
  readonly rooms: readonly Room[]
  readonly received: Received[]
  readonly errors: HeraldError[]
}

/** Opens a client of `http://127.0.0.1:<port>/events` asking for `rooms`. */
export function track(port: number, rooms: readonly Room[]): Tracked {
  const client = createHeraldClient(feed, `http://127.0.0.1:${port}/events`, { topics: rooms })
  const received: Received[] = []
  const errors: HeraldError[] = []
  client.on('n', ({ from, seq }, { lastEventId }) => received.push({ id: lastEventId, from, seq }))
  client.onError((error) => errors.push(error))
  return { client, rooms, received, errors }
}

/** One event an instance's emit acknowledged. */
export interface Emitted {
  readonly id: string
  readonly from: string
  readonly seq: number
  /** [] for a broadcast. */
  readonly rooms: readonly Room[]
}

/** The events of `emitted` a client of `rooms` is owed, in id order. */
export function owed(emitted: readonly Emitted[], rooms: readonly Room[]): Emitted[] {
  return emitted
    .filter((event) => event.rooms.length === 0 || event.rooms.some((room) => rooms.includes(room)))
    .sort((a, b) => compareIds(a.id, b.id))
}

/** Orders two ids of one epoch (`<epoch>-<ms>-<seq>`) by position. */
export function compareIds(a: string, b: string): number {
  const [, ms1 = '0', seq1 = '0'] = /-(\d+)-(\d+)$/.exec(a) ?? []
  const [, ms2 = '0', seq2 = '0'] = /-(\d+)-(\d+)$/.exec(b) ?? []
  const diff = BigInt(ms1) - BigInt(ms2) || BigInt(seq1) - BigInt(seq2)
  return diff < 0n ? -1 : diff > 0n ? 1 : 0
}

/** Resolves once `check()` holds, polling every 10 ms; rejects with `describe()` after `timeoutMs`. */
export async function until(check: () => boolean, describe: () => string, timeoutMs = 10_000): Promise<void> {
  const started = performance.now()
  while (!check()) {
    if (performance.now() - started > timeoutMs) throw new Error(`not met in ${timeoutMs} ms: ${describe()}`)
    await wait(10)
  }
}

/** Resolves after `ms` milliseconds. */
export const wait = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

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

/** A raw stream request: its status, the refusal header, and the text so far; `close` ends it. */
export interface RawStream {
  readonly status: number
  readonly refused: string | undefined
  text(): string
  readonly ended: Promise<void>
  close(): void
}

/** Opens `/events` of an instance on its own socket, without Herald's client. */
export function openRaw(port: number, query = ''): Promise<RawStream> {
  return new Promise((resolve, reject) => {
    const req = http.get(`http://127.0.0.1:${port}/events${query}`, { agent: false }, (res) => {
      let text = ''
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => {
        text += chunk
      })
      const ended = new Promise<void>((done) => {
        res.once('close', done)
        res.once('error', () => done())
      })
      const refused = res.headers[REFUSED_HEADER]
      resolve({
        status: res.statusCode ?? 0,
        refused: typeof refused === 'string' ? refused : undefined,
        text: () => text,
        ended,
        close: () => req.destroy(),
      })
    })
    req.on('error', reject)
  })
}

/** What `startInstanceProcess` passes to its child. */
export interface InstanceProcessOptions {
  readonly name: string
  readonly redisUrl: string
  readonly key: string
  readonly instance?: InstanceOptions
}

/** One emit asked of a child instance: to `rooms`, or everyone when []. */
export interface InstanceCommand {
  readonly seq: number
  readonly rooms: readonly string[]
}

/** An instance running in a child process (test-instance-process.ts). */
export interface InstanceProcess {
  readonly name: string
  readonly port: number
  /** Asks the child to emit; resolves with the id once the child's emit resolved (acknowledged). */
  emit(seq: number, rooms: readonly Room[]): Promise<string>
  /** SIGKILLs the child and waits for it to exit. */
  kill(): Promise<void>
}

const INSTANCE_PROCESS = fileURLToPath(new URL('./test-instance-process.ts', import.meta.url))

/** Starts an instance in a child process and resolves once it listens. */
export async function startInstanceProcess(options: InstanceProcessOptions): Promise<InstanceProcess> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', '--conditions=@herald/source', INSTANCE_PROCESS, JSON.stringify(options)],
    { cwd: fileURLToPath(new URL('..', import.meta.url)), stdio: ['ignore', 'pipe', 'pipe', 'ipc'] },
  )
  let output = ''
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk
  })
  child.stderr?.on('data', (chunk: Buffer) => {
    output += chunk
  })
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  child.on('error', () => {}) // a send to a killed child (EPIPE): its emit rejects below
  const pending = new Map<number, { resolve: (id: string) => void; reject: (error: Error) => void }>()
  child.on('message', (message: { seq?: number; id?: string; error?: string }) => {
    if (message.seq === undefined) return
    const waiter = pending.get(message.seq)
    pending.delete(message.seq)
    if (message.id !== undefined) waiter?.resolve(message.id)
    else waiter?.reject(new Error(message.error))
  })
  void exited.then(() => {
    for (const waiter of pending.values()) waiter.reject(new Error('the instance process exited'))
    pending.clear()
  })
  const port = await new Promise<number>((resolve, reject) => {
    child.on('message', (message: { port?: number }) => {
      if (message.port !== undefined) resolve(message.port)
    })
    void exited.then(() => reject(new Error(`instance process exited before listening:\n${output}`)))
  })
  return {
    name: options.name,
    port,
    emit(seq, rooms) {
      return new Promise((resolve, reject) => {
        if (!child.connected) return reject(new Error('the instance process exited'))
        pending.set(seq, { resolve, reject })
        child.send({ seq, rooms } satisfies InstanceCommand, (error) => {
          if (error === null) return
          pending.delete(seq)
          reject(error)
        })
      })
    },
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
      await exited
    },
  }
}
