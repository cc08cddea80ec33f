// A throwaway redis-server for `npm run start:scaled` and the scaled test: a real process on a free
// loopback port, with a temporary data directory and no persistence, killed with this process.
import { type ChildProcess, spawn } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import net, { type AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/** The binary started; `REDIS_SERVER_PATH` overrides it. */
const redisServerPath = process.env['REDIS_SERVER_PATH'] ?? '/usr/bin/redis-server'
const setprivPath = '/usr/bin/setpriv'

/** A redis-server this process started. */
export interface LocalRedis {
  /** `redis://127.0.0.1:<port>`. */
  readonly url: string
  /** Sends SIGKILL (a crash) and waits for it to exit. */
  kill(): Promise<void>
  /** Starts it again on the same port (empty: no persistence); resolves once it answers PING. */
  restart(): Promise<void>
  /** Kills it and removes its data directory. */
  stop(): Promise<void>
}

/**
 * Starts redis-server on 127.0.0.1 at a free port and resolves once it answers PING. Rejects with
 * the command that installs it when the binary is missing.
 */
export async function startLocalRedis(): Promise<LocalRedis> {
  if (!existsSync(redisServerPath)) {
    throw new Error(
      `redis-server not found at ${redisServerPath}. Install it (sudo apt-get install -y redis-server), ` +
        'set REDIS_SERVER_PATH, or set REDIS_URL to a Redis (≥ 6.2) of your own.',
    )
  }
  const dir = mkdtempSync(join(tmpdir(), 'herald-example-redis-'))
  const port = await freePort()
  let child = await launch(port, dir)
  const onExit = () => {
    child.kill('SIGKILL')
    rmSync(dir, { recursive: true, force: true })
  }
  process.once('exit', onExit)
  const kill = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return
    const exited = new Promise((resolve) => child.once('exit', resolve))
    child.kill('SIGKILL')
    await exited
  }
  return {
    url: `redis://127.0.0.1:${port}`,
    kill,
    async restart() {
      await kill()
      child = await launch(port, dir)
    },
    async stop() {
      await kill()
      process.off('exit', onExit)
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

async function launch(port: number, dir: string): Promise<ChildProcess> {
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no']
  // `setpriv --pdeathsig KILL` (util-linux), where there is one: the server dies with this process,
  // however this process dies.
  const [file, argv] = existsSync(setprivPath)
    ? [setprivPath, ['--pdeathsig', 'KILL', '--', redisServerPath, ...args]]
    : [redisServerPath, args]
  const child = spawn(file, argv, { stdio: ['ignore', 'ignore', 'pipe'] })
  let log = ''
  child.stderr?.on('data', (chunk: Buffer) => {
    log = (log + chunk.toString()).slice(-2000)
  })
  const deadline = Date.now() + 10_000
  while (!(await ping(port))) {
    if (child.exitCode !== null || child.signalCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL')
      throw new Error(`redis-server on port ${port} did not start:\n${log}`)
    }
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  return child
}

/** One PING over a raw socket: true on `+PONG`. */
function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port })
    const done = (ok: boolean) => {
      socket.destroy()
      resolve(ok)
    }
    socket.setTimeout(1000, () => done(false))
    socket.once('error', () => done(false))
    socket.once('connect', () => socket.write('PING\r\n'))
    socket.once('data', (chunk) => done(chunk.toString().startsWith('+PONG')))
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
