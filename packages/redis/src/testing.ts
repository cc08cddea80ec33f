// `@herald/redis/testing`: real `redis-server` processes on free loopback ports, each with a data
// directory of its own, started and killed by your tests (no systemd, no shared 6379), to test an
// app on the Redis engine against a real Redis, crashes and restarts included. A missing binary is
// an error naming the command that installs it, never a skipped test.
import { type ChildProcess, spawn } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import net, { type AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/** The binary started; `REDIS_SERVER_PATH` overrides it. */
export const redisServerPath = process.env['REDIS_SERVER_PATH'] ?? '/usr/bin/redis-server'

const setprivPath = '/usr/bin/setpriv'

/** Options of `startRedis`. */
export interface RedisServerOptions {
  /**
   * Keep data across a kill and restart: an append-only file fsynced on every write
   * (`--appendonly yes --appendfsync always`). Off: no persistence at all (`--save '' --appendonly no`),
   * so a restart comes back empty. @default false
   */
  readonly persistence?: boolean
}

/** A running (or killed, restartable) redis-server. */
export interface RedisServer {
  /** `redis://127.0.0.1:<port>`. */
  readonly url: string
  readonly port: number
  /** Its data directory (`--dir`), kept across `kill`/`restart`, removed by `stop`. */
  readonly dir: string
  /** Whether the process is running. */
  readonly running: boolean
  /** Sends `signal` (SIGKILL by default: a crash, nothing flushed) and waits for the process to exit. */
  kill(signal?: NodeJS.Signals): Promise<void>
  /** Freezes it (SIGSTOP): connections stay open, nothing is answered; a hung server. */
  pause(): void
  /** Wakes it up after `pause` (SIGCONT): it answers what it was sent meanwhile. */
  resume(): void
  /** Starts it again (killing it first if it runs) on the same port and data directory; resolves once it answers PING. */
  restart(): Promise<void>
  /** Kills it and removes its data directory. */
  stop(): Promise<void>
}

/** Every server still running, killed when this process exits. */
const live = new Set<{ child: ChildProcess | undefined; dir: string }>()
let exitHook = false

/** How long a start may take before it fails (an AOF replay included). */
const startTimeoutMs = 10_000

/**
 * Starts a redis-server on 127.0.0.1 at a free port, with a fresh temporary data directory, and
 * resolves once it answers PING. Killed (and its directory removed) when this process exits.
 */
export async function startRedis(options: RedisServerOptions = {}): Promise<RedisServer> {
  if (!existsSync(redisServerPath)) {
    throw new Error(
      `redis-server not found at ${redisServerPath}; the Redis tests start real servers. Install it with:\n` +
        '  sudo apt-get update && sudo apt-get install -y redis-server\n' +
        '(or run `node scripts/setup-test-env.mjs` as root), or set REDIS_SERVER_PATH.',
    )
  }
  if (!exitHook) {
    exitHook = true
    process.once('exit', () => {
      for (const entry of live) {
        entry.child?.kill('SIGKILL')
        rmSync(entry.dir, { recursive: true, force: true })
      }
    })
  }
  const dir = mkdtempSync(join(tmpdir(), 'herald-redis-'))
  const entry: { child: ChildProcess | undefined; dir: string } = { child: undefined, dir }
  live.add(entry)
  const persistence = options.persistence ?? false
  // A free port can be taken between our probe and redis's bind: try a few.
  let port = 0
  for (let attempt = 1; ; attempt++) {
    port = await freePort()
    try {
      entry.child = await launch(port, dir, persistence)
      break
    } catch (error) {
      if (attempt >= 5 || !String(error).includes('Address already in use')) {
        live.delete(entry)
        rmSync(dir, { recursive: true, force: true })
        throw error
      }
    }
  }

  const kill = async (signal: NodeJS.Signals = 'SIGKILL') => {
    const child = entry.child
    if (child === undefined || child.exitCode !== null || child.signalCode !== null) return
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
    child.kill(signal)
    await exited
  }
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    dir,
    get running() {
      const child = entry.child
      return child !== undefined && child.exitCode === null && child.signalCode === null
    },
    kill,
    pause() {
      entry.child?.kill('SIGSTOP')
    },
    resume() {
      entry.child?.kill('SIGCONT')
    },
    async restart() {
      await kill('SIGKILL')
      entry.child = undefined
      entry.child = await launch(port, dir, persistence)
    },
    async stop() {
      await kill('SIGKILL')
      live.delete(entry)
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

/** Spawns redis-server and resolves once it answers PING; rejects with its log if it exits first. */
async function launch(port: number, dir: string, persistence: boolean): Promise<ChildProcess> {
  const args = [
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--dir',
    dir,
    '--daemonize',
    'no',
    '--supervised',
    'no',
    '--logfile',
    '',
    // No RDB snapshots either way: durability comes from the AOF alone, deterministically.
    '--save',
    '',
    ...(persistence ? ['--appendonly', 'yes', '--appendfsync', 'always'] : ['--appendonly', 'no']),
  ]
  // Through `setpriv --pdeathsig KILL` (util-linux) where there is one: the kernel kills the server
  // when this process dies however it dies (a test runner's worker is often ended by a signal, and
  // then no 'exit' handler runs). setpriv execs redis-server: the child's pid is the server's.
  const [file, argv] = existsSync(setprivPath)
    ? [setprivPath, ['--pdeathsig', 'KILL', '--', redisServerPath, ...args]]
    : [redisServerPath, args]
  const child = spawn(file, argv, { stdio: ['ignore', 'pipe', 'pipe'] })
  let log = ''
  const keep = (chunk: Buffer) => {
    log = (log + chunk.toString()).slice(-4000)
  }
  child.stdout?.on('data', keep)
  child.stderr?.on('data', keep)
  const exited = new Promise<never>((_, reject) => {
    child.once('error', reject)
    child.once('exit', (code, signal) =>
      reject(new Error(`redis-server on port ${port} exited (${signal ?? code}) before it was ready:\n${log}`)),
    )
  })
  exited.catch(() => {})
  const deadline = Date.now() + startTimeoutMs
  try {
    while (!(await Promise.race([ping(port), exited]))) {
      if (Date.now() > deadline)
        throw new Error(`redis-server on port ${port} not ready after ${startTimeoutMs} ms:\n${log}`)
      await Promise.race([new Promise((resolve) => setTimeout(resolve, 20)), exited])
    }
  } catch (error) {
    child.kill('SIGKILL')
    throw error
  }
  return child
}

/** One PING over a raw socket: true on `+PONG` (not while it still loads its AOF, which answers -LOADING). */
function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port })
    let reply = ''
    const done = (ok: boolean) => {
      socket.destroy()
      resolve(ok)
    }
    socket.setTimeout(1000, () => done(false))
    socket.once('error', () => done(false))
    socket.once('connect', () => socket.write('PING\r\n'))
    socket.on('data', (chunk) => {
      reply += chunk.toString()
      if (reply.includes('\r\n')) done(reply.startsWith('+PONG'))
    })
  })
}

/** A port free on 127.0.0.1 right now. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo
      server.close(() => resolve(port))
    })
  })
}
