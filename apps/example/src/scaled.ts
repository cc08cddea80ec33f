import { type ChildProcess, spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { fileURLToPath } from 'node:url'
import { type RedisServer, startRedis } from '@herald/redis/testing'

// `npm run start:scaled`: the example as two instances sharing one channel through one Redis, on
// PORT and PORT + 1 (3000 and 3001 by default). Each instance is its own process running main.ts,
// as it would on two machines behind a load balancer. Given REDIS_URL, they use that Redis;
// otherwise a redis-server is started for this run (no persistence) and stopped with it.

const raw = process.env['PORT'] ?? ''
const base = raw === '' ? 3000 : Number(raw)
if (!Number.isInteger(base) || base < 0 || base > 65_534) {
  process.stderr.write(`PORT must be a port number from 0 to 65534, got ${JSON.stringify(raw)}\n`)
  process.exit(1)
}
// PORT=0: each instance on a free port of its own.
const ports = base === 0 ? [0, 0] : [base, base + 1]
// Both instances sign cookies and tickets with one secret: a ticket issued by one verifies on the other.
const secret = process.env['EXAMPLE_SECRET'] || randomBytes(32).toString('base64url')
const print = (line: string) => process.stdout.write(`${line}\n`)

let local: RedisServer | undefined
const given = process.env['REDIS_URL'] || undefined
if (given === undefined) {
  local = await startRedis().catch((error: Error) => {
    process.stderr.write(`Herald example: ${error.message}\n`)
    return process.exit(1)
  })
}
const redisUrl = given ?? (local as RedisServer).url

const main = fileURLToPath(new URL('main.ts', import.meta.url))
const urls: string[] = []
let stopping = false
const children: ChildProcess[] = ports.map((port, index) => {
  const name = `[instance ${index + 1}]`
  const child = spawn(process.execPath, [...process.execArgv, main], {
    env: {
      ...process.env,
      PORT: String(port),
      REDIS_URL: redisUrl,
      EXAMPLE_SECRET: secret,
      EXAMPLE_CLOCK: index === 0 ? '1' : '0', // one instance runs the demos' clock; every page shows it
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const relay = (write: (line: string) => void) => {
    let rest = ''
    return (chunk: Buffer) => {
      const lines = (rest + chunk.toString()).split('\n')
      rest = lines.pop() ?? ''
      for (const line of lines) {
        write(`${name} ${line}`)
        const url = /^Herald example on (\S+)/.exec(line)?.[1]
        if (url !== undefined) started(index, url)
      }
    }
  }
  child.stdout?.on('data', relay(print))
  child.stderr?.on(
    'data',
    relay((line) => process.stderr.write(`${line}\n`)),
  )
  child.once('exit', (code, signal) => {
    if (stopping) return
    // Exit 0: it was stopped (a Ctrl-C in the terminal reaches every process of the group).
    if (code !== 0) process.stderr.write(`${name} exited (${signal ?? code}); stopping the others\n`)
    void stop(code === 0 ? 0 : 1)
  })
  return child
})

function started(index: number, url: string): void {
  urls[index] = url
  if (urls.filter(Boolean).length < children.length) return
  const where = local === undefined ? `Redis at ${redisUrl}` : `a redis-server started for this run (${redisUrl})`
  print('')
  print(`Two Herald example instances share one channel through ${where}:`)
  print(`  ${urls[0]}  (emits the clock, name/age and the chat's bot)`)
  print(`  ${urls[1]}`)
  print('Open one in a window and the other in a private one: what you post on one appears on both.')
  print(`Readiness: ${urls[0]}/ready (503 while Redis is unreachable). Ctrl-C stops them all.`)
}

async function stop(code: number): Promise<void> {
  if (stopping) return
  stopping = true
  await Promise.all(
    children.map(async (child) => {
      if (child.exitCode !== null || child.signalCode !== null) return
      const exited = new Promise((resolve) => child.once('exit', resolve))
      child.kill('SIGTERM')
      await exited
    }),
  )
  await local?.stop()
  process.exit(code)
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void stop(0))
