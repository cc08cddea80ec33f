// The Redis benchmark: round after round, every case (redis-scenarios.ts) with fresh Herald
// processes (servers/herald.ts for the in-memory engine, servers/herald-redis.ts for Redis) and a
// fresh load generator (loadgen.ts) whose connections are split across the instances. Each run
// measures two phases on the same connections: a paced one (the issue's 100 events/s: CPU per
// delivered event and latency) and a burst (throughput). Instance 1 emits every event; the
// others only fan out what their read loop gets from Redis.
import { mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { LoadgenApi, LoadResult, ServerApi, ServerInfo } from './api.ts'
import { sleep } from './launch.ts'
import { BENCH_DIR, type Child, killAll, spawnChild } from './processes.ts'
import type { RedisCase, RedisSizes } from './redis-scenarios.ts'
import type { BenchRedis } from './redis-server.ts'

/** What to run. */
export interface RedisBenchOptions {
  cases: readonly RedisCase[]
  rounds: number
  sizes: RedisSizes
  /** Resolve @herald/* to the packages' TypeScript source, not their built dist. */
  source: boolean
  /** Write CPU profiles of every Herald process to `profiles/redis-<case>-i<n>-r<round>/`. */
  cpuProf: boolean
  /** The Redis every Redis case runs on (flushed before each run). */
  redis: BenchRedis
  log: (line: string) => void
}

/** The figures of one phase of one run. */
export interface RedisPhase {
  events: number
  load: LoadResult
  /** Each instance's streams and CPU time (user + system, µs) over the phase; instance 1 emits. */
  instances: { clients: number; cpuMicros: number }[]
  /** Redis's CPU time (user + system, µs) over the phase, for the Redis cases. */
  redisCpuMicros?: number | undefined
  /** CPU of all instances per delivered event, µs: the mean per-instance cost of one delivery. */
  cpuPerEventMicros?: number | undefined
  /** Each instance's CPU per event delivered to its own streams, µs. */
  instanceCpuPerEventMicros: (number | undefined)[]
  /** Redis's CPU per emitted event, µs. */
  redisCpuPerEmitMicros?: number | undefined
  deliveredPerSecond?: number | undefined
  loadgenCpuShare: number
}

/** The figures of one case in one round. */
export interface RedisRun {
  case: RedisCase['id']
  round: number
  error?: string | undefined
  /** Herald's sources were written while this run's servers started or ran (another session editing the tree). */
  sourcesChanged?: boolean | undefined
  connectMs?: number | undefined
  rate?: RedisPhase | undefined
  burst?: RedisPhase | undefined
}

/** Everything a run measured. */
export interface RedisBenchResults {
  cases: readonly RedisCase[]
  rounds: number
  sizes: RedisSizes
  runs: RedisRun[]
  durationMs: number
}

// Long enough that no heartbeat falls inside a measurement.
const HEARTBEAT_MS = 600_000

/** The newest modification time (ms) of Herald's schema, server and redis sources, tests left out. */
function newestHeraldSource(): number {
  let newest = 0
  for (const pkg of ['schema', 'server', 'redis']) {
    const dir = join(BENCH_DIR, '..', '..', 'packages', pkg, 'src')
    for (const name of readdirSync(dir)) {
      if (name.includes('.test') || name.startsWith('test-')) continue
      newest = Math.max(newest, statSync(join(dir, name)).mtimeMs)
    }
  }
  return newest
}

/** Splits `clients` over `instances` as evenly as possible, the first ones taking the remainder. */
export function splitClients(clients: number, instances: number): number[] {
  return Array.from(
    { length: instances },
    (_, k) => Math.floor(clients / instances) + (k < clients % instances ? 1 : 0),
  )
}

type Server = Child<ServerApi> & { readonly port: number; readonly path: string }

/**
 * Resolves as `promise` does, or rejects as soon as one of `servers` has exited (a Herald process
 * exits when an emit is rejected): the run fails at once instead of waiting out its timeout, and
 * nothing is sent to the dead process's closed IPC channel.
 */
function whileAlive<T>(servers: readonly Server[], promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const died = new Promise<never>((_, reject) => {
    timer = setInterval(() => {
      for (const [k, server] of servers.entries()) {
        try {
          process.kill(server.pid, 0)
        } catch {
          reject(new Error(`instance ${k + 1} (${server.name}) exited during the phase`))
        }
      }
    }, 200)
  })
  promise.catch(() => {}) // when the race is lost to `died`, its rejection is no one's
  return Promise.race([promise, died]).finally(() => clearInterval(timer))
}

/** One measured phase: every instance's CPU window opens, instance 1 emits, the load generator waits. */
async function runPhase(
  servers: readonly Server[],
  loadgen: Child<LoadgenApi>,
  redis: BenchRedis | undefined,
  split: readonly number[],
  command: { count: number; rate: number; batch: number; warmup: number; timeoutMs: number },
): Promise<RedisPhase & { startMicros: number }> {
  const [emitter, ...others] = servers as [Server, ...Server[]]
  await loadgen.rpc.call('expect', { count: command.count, warmup: command.warmup })
  // An emit of no events opens a fan-out-only instance's CPU window, as a real emit does the emitter's.
  for (const server of others) await server.rpc.call('emit', { count: 0, rate: 0, batch: 1 })
  const redisFrom = await redis?.cpuMicros()
  const { startMicros } = await emitter.rpc.call('emit', {
    count: command.count,
    rate: command.rate,
    batch: command.batch,
  })
  const load = await whileAlive(
    servers,
    loadgen.rpc.call('wait', { timeoutMs: command.timeoutMs }, command.timeoutMs + 10_000),
  )
  const stats = await Promise.all(servers.map((server) => server.rpc.call('stats', { gc: false })))
  const redisTo = await redis?.cpuMicros()
  const total = split.reduce((sum, clients) => sum + clients, 0)
  const instances = stats.map((stat, k) => ({
    clients: split[k] as number,
    cpuMicros: stat.cpuUserMicros + stat.cpuSystemMicros,
  }))
  const cpu = instances.reduce((sum, instance) => sum + instance.cpuMicros, 0)
  const redisCpuMicros = redisFrom === undefined || redisTo === undefined ? undefined : redisTo - redisFrom
  return {
    startMicros,
    events: command.count,
    load,
    instances,
    redisCpuMicros,
    cpuPerEventMicros: load.delivered === 0 ? undefined : cpu / load.delivered,
    // Every stream of an instance gets the same events: its share of the deliveries is its share of the streams.
    instanceCpuPerEventMicros: instances.map((instance) =>
      load.delivered === 0 ? undefined : instance.cpuMicros / ((load.delivered * instance.clients) / total),
    ),
    redisCpuPerEmitMicros: redisCpuMicros === undefined ? undefined : redisCpuMicros / command.count,
    deliveredPerSecond:
      load.lastMicros > startMicros ? load.delivered / ((load.lastMicros - startMicros) / 1e6) : undefined,
    loadgenCpuShare: load.cpuMicros / Math.max(1, load.wallMicros),
  }
}

/** Runs one case: start its instances and a load generator, connect, then the paced phase and the burst. */
export async function runRedisCase(
  redisCase: RedisCase,
  round: number,
  options: Pick<RedisBenchOptions, 'sizes' | 'source' | 'cpuProf' | 'redis'>,
): Promise<RedisRun> {
  const started = Date.now()
  const run: RedisRun = { case: redisCase.id, round }
  const { sizes } = options
  const children: Child<ServerApi | LoadgenApi>[] = []
  const profileDir = (k: number) => `profiles/redis-${redisCase.id}-i${k + 1}-r${round}`
  try {
    const redis = redisCase.engine === 'redis' ? options.redis : undefined
    await redis?.flush()
    const split = splitClients(sizes.clients, redisCase.instances)
    const launches = split.map((_, k) =>
      spawnChild<ServerApi>({
        name: `herald ${redisCase.id} #${k + 1}`,
        script: redisCase.engine === 'redis' ? 'src/servers/herald-redis.ts' : 'src/servers/herald.ts',
        nodeArgs: [
          '--expose-gc',
          ...(options.source ? ['--conditions=@herald/source'] : []),
          ...(options.cpuProf ? ['--cpu-prof', `--cpu-prof-dir=${profileDir(k)}`] : []),
        ],
        env: {
          PORT: '0',
          HEARTBEAT_MS: String(HEARTBEAT_MS),
          REDIS_URL: options.redis.url,
          REDIS_KEY: `bench-${redisCase.id}-r${round}`,
        },
      }).then((child) => {
        children.push(child as Child<ServerApi | LoadgenApi>)
        const info = child.info as ServerInfo
        return { ...child, port: info.port, path: info.path }
      }),
    )
    const loadgenLaunch = spawnChild<LoadgenApi>({ name: 'loadgen', script: 'src/loadgen.ts' }).then((child) => {
      children.push(child as Child<ServerApi | LoadgenApi>)
      return child
    })
    const settled = await Promise.allSettled([...launches, loadgenLaunch])
    const failed = settled.find((result) => result.status === 'rejected')
    if (failed !== undefined) throw failed.reason
    const servers = await Promise.all(launches)
    const loadgen = await loadgenLaunch

    const connectStarted = Date.now()
    for (const [k, server] of servers.entries()) {
      const count = split[k] as number
      const connected = await loadgen.rpc.call(
        'connect',
        { port: server.port, path: server.path, count, concurrency: 128, timeoutMs: 30_000 },
        120_000,
      )
      if (connected.failed > 0) throw new Error(`${connected.failed} connections failed`)
    }
    for (const [k, server] of servers.entries()) {
      const want = split[k] as number
      const deadline = Date.now() + 60_000
      let subscribers = await server.rpc.call('subscribers', null)
      while (subscribers < want && Date.now() < deadline) {
        await sleep(20)
        subscribers = await server.rpc.call('subscribers', null)
      }
      if (subscribers !== want) throw new Error(`instance ${k + 1}: ${subscribers}/${want} subscribed`)
    }
    run.connectMs = Date.now() - connectStarted
    // The connection burst's garbage collected before any clock starts.
    for (const server of servers) await server.rpc.call('stats', { gc: true })

    const { startMicros, ...rate } = await runPhase(servers, loadgen, redis, split, {
      count: sizes.rateEvents,
      rate: sizes.rate,
      batch: 1,
      warmup: sizes.warmup,
      timeoutMs: sizes.timeoutMs,
    })
    run.rate = rate
    if (options.cpuProf) {
      // The paced phase on the profile's clock, for profile-summary.ts.
      for (const k of split.keys()) {
        mkdirSync(join(BENCH_DIR, profileDir(k)), { recursive: true })
        writeFileSync(join(BENCH_DIR, profileDir(k), 'emit-window.txt'), `${startMicros} ${rate.load.lastMicros}\n`)
      }
    }
    const { startMicros: _, ...burst } = await runPhase(servers, loadgen, redis, split, {
      count: sizes.burstEvents,
      rate: 0,
      batch: sizes.batch,
      warmup: 0,
      timeoutMs: sizes.timeoutMs,
    })
    run.burst = burst
    return { ...run, sourcesChanged: newestHeraldSource() >= started }
  } catch (error) {
    return { ...run, error: (error as Error).message }
  } finally {
    // A profile is written at exit, which can take a few seconds.
    await Promise.all(children.map((child) => child.stop(options.cpuProf ? 15_000 : 2000)))
  }
}

const fixed = (value: number | undefined, digits: number) => (value === undefined ? '–' : value.toFixed(digits))

/** One line per phase, for the progress log. */
function describePhase(name: string, phase: RedisPhase | undefined): string {
  if (phase === undefined) return ''
  const { load } = phase
  const wrong = load.lost + load.duplicated + load.reordered + load.unexpected + load.badStatus + load.closed
  return (
    `${name}: ${fixed(phase.cpuPerEventMicros, 2)} µs/event [${phase.instanceCpuPerEventMicros.map((v) => fixed(v, 2)).join(' ')}], ` +
    `${Math.round((phase.deliveredPerSecond ?? 0) / 1000)}k ev/s, p50 ${fixed(load.latency.p50 / 1000, 2)} ms ` +
    `p99 ${fixed(load.latency.p99 / 1000, 2)} ms, redis ${fixed(phase.redisCpuPerEmitMicros, 0)} µs/emit, ` +
    `${wrong === 0 && !load.timedOut ? 'exact' : `${wrong} wrong${load.timedOut ? ', timed out' : ''}`}`
  )
}

/** Runs every case, round after round; never throws for a failed run (it is recorded). */
export async function runRedisBench(options: RedisBenchOptions): Promise<RedisBenchResults> {
  const started = Date.now()
  const runs: RedisRun[] = []
  try {
    for (let round = 1; round <= options.rounds; round++) {
      for (const redisCase of options.cases) {
        const run = await runRedisCase(redisCase, round, options)
        runs.push(run)
        options.log(
          `  r${round} ${redisCase.id.padEnd(8)} ${run.sourcesChanged ? '(Herald sources changed: left out) ' : ''}${
            run.error ?? `${describePhase('paced', run.rate)}; ${describePhase('burst', run.burst)}`
          }`,
        )
      }
    }
  } finally {
    killAll()
  }
  return {
    cases: options.cases,
    rounds: options.rounds,
    sizes: options.sizes,
    runs,
    durationMs: Date.now() - started,
  }
}
