// The whole benchmark: every scenario, round after round, each round running every server in
// the same order (A B C D E, A B C D E, …), so slow drift on a shared machine hits all alike.
import { execFileSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { readdirSync, readFileSync } from 'node:fs'
import os from 'node:os'
import { join } from 'node:path'
import type { LaunchOptions } from './launch.ts'
import { BENCH_DIR, killAll } from './processes.ts'
import { type DeliveryRun, runDelivery } from './run-delivery.ts'
import { type IdleMemoryRun, runIdleMemory } from './run-idle-memory.ts'
import { type MaxConnectionsRun, runMaxConnections } from './run-max-connections.ts'
import type { Scenario, ServerName } from './scenarios.ts'

/** What to run. */
export interface BenchOptions extends LaunchOptions {
  scenarios: readonly Scenario[]
  servers: readonly ServerName[]
  rounds: number
  /** Progress lines go here. */
  log: (line: string) => void
}

/** The machine and software a run was measured on. */
export interface Environment {
  date: string
  node: string
  cpu: string
  cores: number
  memoryGiB: number
  os: string
  fdLimit: string
  commit: string
  herald: 'source' | 'dist'
  /** A hash of Herald's server and schema sources at the start, and whether they changed during the run. */
  heraldSource: string
  heraldSourceChanged: boolean
  /** Versions of the frameworks under test, as installed. */
  versions: Record<string, string>
}

/** Everything a run measured. */
export interface BenchResults {
  environment: Environment
  scenarios: readonly Scenario[]
  servers: readonly ServerName[]
  rounds: number
  delivery: DeliveryRun[]
  idleMemory: IdleMemoryRun[]
  maxConnections: MaxConnectionsRun[]
  durationMs: number
}

function shell(command: string, args: readonly string[]): string {
  try {
    return execFileSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim()
  } catch {
    return 'unknown'
  }
}

/**
 * A short hash of Herald's server and schema code as the bench runs it (`src`, or `dist` with
 * `--dist`), so a report says exactly which Herald it measured, and whether it changed meanwhile.
 */
export function heraldFingerprint(source: boolean): string {
  const hash = createHash('sha256')
  for (const pkg of ['schema', 'server']) {
    const dir = join(BENCH_DIR, '..', '..', 'packages', pkg, source ? 'src' : 'dist')
    for (const name of readdirSync(dir).sort()) {
      if (name.includes('.test') || name.startsWith('test-')) continue
      hash.update(name).update(readFileSync(join(dir, name)))
    }
  }
  return hash.digest('hex').slice(0, 12)
}

function installedVersion(name: string): string {
  for (const root of [join(BENCH_DIR, 'node_modules'), join(BENCH_DIR, '..', '..', 'node_modules')]) {
    try {
      return (JSON.parse(readFileSync(join(root, name, 'package.json'), 'utf8')) as { version: string }).version
    } catch {}
  }
  return 'unknown'
}

/** Versions of the frameworks the servers use. */
export function frameworkVersions(): Record<string, string> {
  const names = ['koa', '@koa/router', 'zod', 'better-sse', '@trpc/server']
  return Object.fromEntries(names.map((name) => [name, installedVersion(name)]))
}

/** Describes this machine. */
export function environment(source: boolean): Environment {
  const cpus = os.cpus()
  const status = shell('git', ['status', '--porcelain', '--', '../../packages'])
  return {
    date: new Date().toISOString(),
    node: process.version,
    cpu: cpus[0]?.model ?? 'unknown',
    cores: cpus.length,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    os: `${os.type()} ${os.release()}`,
    fdLimit: shell('bash', ['-c', 'ulimit -Hn']),
    commit: `${shell('git', ['rev-parse', '--short', 'HEAD'])}${status === '' || status === 'unknown' ? '' : ' (packages/ modified)'}`,
    herald: source ? 'source' : 'dist',
    heraldSource: heraldFingerprint(source),
    heraldSourceChanged: false,
    versions: frameworkVersions(),
  }
}

/** Runs every scenario; never throws for a failed run (it is recorded), and leaves no child behind. */
export async function runBench(options: BenchOptions): Promise<BenchResults> {
  const started = Date.now()
  const results: BenchResults = {
    environment: environment(options.source),
    scenarios: options.scenarios,
    servers: options.servers,
    rounds: options.rounds,
    delivery: [],
    idleMemory: [],
    maxConnections: [],
    durationMs: 0,
  }
  const { log } = options
  try {
    for (const scenario of options.scenarios) {
      log(`# ${scenario.title}`)
      // The capacity attempt is long and about a threshold, not a distribution: one pass.
      const rounds = scenario.kind === 'max-connections' ? 1 : options.rounds
      for (let round = 1; round <= rounds; round++) {
        for (const server of options.servers) {
          if (scenario.kind === 'delivery') {
            const run = await runDelivery(scenario, server, round, options)
            results.delivery.push(run)
            log(
              `  r${round} ${server.padEnd(10)} ${run.error ?? `${run.cpuPerEventMicros?.toFixed(2)} µs/event, ${Math.round(run.deliveredPerSecond ?? 0)} ev/s, p50 ${((run.load?.latency.p50 ?? 0) / 1000).toFixed(2)} ms, p99 ${((run.load?.latency.p99 ?? 0) / 1000).toFixed(2)} ms, lost ${run.load?.lost} dup ${run.load?.duplicated} reorder ${run.load?.reordered}, loadgen ${Math.round((run.loadgenCpuShare ?? 0) * 100)}% cpu`}`,
            )
          } else if (scenario.kind === 'idle-memory') {
            const run = await runIdleMemory(scenario, server, round, options)
            results.idleMemory.push(run)
            log(
              `  r${round} ${server.padEnd(10)} ${run.error ?? `heap ${Math.round(run.heapPerConnection ?? 0)} B/conn, rss ${Math.round(run.rssPerConnection ?? 0)} B/conn`}`,
            )
          } else {
            const run = await runMaxConnections(scenario, server, options)
            results.maxConnections.push(run)
            const levels = run.levels.map((level) => `${level.target}:${level.ok ? 'ok' : 'FAIL'}`).join(' ')
            log(`  ${server.padEnd(10)} held ${run.held} [${levels}]${run.error ? ` error: ${run.error}` : ''}`)
          }
        }
      }
    }
  } finally {
    killAll()
  }
  results.durationMs = Date.now() - started
  results.environment.heraldSourceChanged = heraldFingerprint(options.source) !== results.environment.heraldSource
  return results
}
