// The topic benchmark: round after round, every case (topic-scenarios.ts) with a fresh Herald
// server process (servers/herald-topics.ts) and a fresh load generator (loadgen-topics.ts). The
// server's CPU time is taken from the emit command until every connection has its events; the
// events delivered are counted by the load generator.
import { readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import type { ServerStats } from './api.ts'
import { sleep } from './launch.ts'
import { BENCH_DIR, type Child, killAll, spawnChild } from './processes.ts'
import type { TopicIntegrity, TopicLoadgenApi, TopicLoadResult, TopicServerApi } from './topic-api.ts'
import type { TopicCase } from './topic-scenarios.ts'

/** What to run. */
export interface TopicBenchOptions {
  cases: readonly TopicCase[]
  rounds: number
  /** Events per event-loop turn; 1 makes every emit its own write, as from a request handler. */
  batch: number
  /** Resolve @herald/* to the packages' TypeScript source, not their built dist. */
  source: boolean
  log: (line: string) => void
}

/** The figures of one case in one round. */
export interface TopicRun {
  case: TopicCase['id']
  round: number
  error?: string | undefined
  /**
   * Herald's sources were written while this run's server started or ran (another session editing
   * the working tree): the server may have loaded a half-edited file, so its figures are not Herald's.
   */
  sourcesChanged?: boolean | undefined
  connectMs?: number | undefined
  load?: TopicLoadResult | undefined
  integrity?: TopicIntegrity | undefined
  stats?: ServerStats | undefined
  /** Server CPU time (user + system) per delivered event, µs. */
  cpuPerEventMicros?: number | undefined
  deliveredPerSecond?: number | undefined
  loadgenCpuShare?: number | undefined
}

/** Everything a run measured. */
export interface TopicBenchResults {
  cases: readonly TopicCase[]
  rounds: number
  batch: number
  runs: TopicRun[]
  durationMs: number
}

// Long enough that no heartbeat falls inside a measurement: a heartbeat to 10,000 streams would
// be counted as the cost of the few events of a targeted run.
const HEARTBEAT_MS = 600_000

/** The newest modification time (ms) of Herald's schema and server sources, tests left out. */
export function newestHeraldSource(): number {
  let newest = 0
  for (const pkg of ['schema', 'server']) {
    const dir = join(BENCH_DIR, '..', '..', 'packages', pkg, 'src')
    for (const name of readdirSync(dir)) {
      if (name.includes('.test') || name.startsWith('test-')) continue
      newest = Math.max(newest, statSync(join(dir, name)).mtimeMs)
    }
  }
  return newest
}

/** Runs one case: connect, emit, wait for every connection's events, then take the server's CPU. */
export async function runTopicCase(
  topicCase: TopicCase,
  round: number,
  options: Pick<TopicBenchOptions, 'batch' | 'source'>,
): Promise<TopicRun> {
  const started = Date.now()
  const run: TopicRun = { case: topicCase.id, round }
  const children: Child<TopicServerApi | TopicLoadgenApi>[] = []
  const track = <TChild extends Child<TopicServerApi> | Child<TopicLoadgenApi>>(child: TChild): TChild => {
    children.push(child as Child<TopicServerApi | TopicLoadgenApi>)
    return child
  }
  try {
    const [server, loadgen] = await Promise.all([
      spawnChild<TopicServerApi>({
        name: `${topicCase.channel} ${topicCase.id}`,
        script: topicCase.channel === 'node-http' ? 'src/servers/node-http-topics.ts' : 'src/servers/herald-topics.ts',
        nodeArgs: ['--expose-gc', ...(options.source ? ['--conditions=@herald/source'] : [])],
        env: {
          PORT: '0',
          HEARTBEAT_MS: String(HEARTBEAT_MS),
          HERALD_TOPICS: topicCase.channel === 'topics' ? '1' : '0',
        },
      }).then(track),
      spawnChild<TopicLoadgenApi>({ name: 'loadgen-topics', script: 'src/loadgen-topics.ts' }).then(track),
    ])
    const { port, path } = server.info as { port: number; path: string }
    const { layout, clients } = topicCase
    const connected = await loadgen.rpc.call(
      'connect',
      { port, path, layout, count: clients, concurrency: 128, timeoutMs: 30_000 },
      120_000,
    )
    if (connected.open !== clients) throw new Error(`${connected.open}/${clients} connected`)
    const deadline = Date.now() + 60_000
    let subscribers = await server.rpc.call('subscribers', null)
    while (subscribers < clients && Date.now() < deadline) {
      await sleep(20)
      subscribers = await server.rpc.call('subscribers', null)
    }
    if (subscribers !== clients) throw new Error(`${subscribers}/${clients} subscribed`)
    // Let the last hellos drain and the connection burst's garbage be collected before the clock starts.
    await server.rpc.call('stats', { gc: true })
    const plan = { mode: topicCase.mode, count: topicCase.events, seed: round, among: topicCase.among }
    await loadgen.rpc.call('expect', { plan, layout })
    const { startMicros } = await server.rpc.call('emit', { plan, layout, batch: options.batch })
    const load = await loadgen.rpc.call('wait', { timeoutMs: topicCase.timeoutMs }, topicCase.timeoutMs + 10_000)
    const stats = await server.rpc.call('stats', { gc: false })
    await sleep(100) // anything sent where it should not go arrives meanwhile
    const integrity = await loadgen.rpc.call('check', null)
    const cpu = stats.cpuUserMicros + stats.cpuSystemMicros
    return {
      ...run,
      sourcesChanged: newestHeraldSource() >= started,
      connectMs: connected.ms,
      load,
      integrity,
      stats,
      cpuPerEventMicros: load.delivered === 0 ? undefined : cpu / load.delivered,
      deliveredPerSecond:
        load.lastMicros > startMicros ? load.delivered / ((load.lastMicros - startMicros) / 1e6) : undefined,
      loadgenCpuShare: load.cpuMicros / Math.max(1, load.wallMicros),
    }
  } catch (error) {
    return { ...run, error: (error as Error).message }
  } finally {
    await Promise.all(children.map((child) => child.stop()))
  }
}

/** Runs every case, round after round; never throws for a failed run (it is recorded). */
export async function runTopicsBench(options: TopicBenchOptions): Promise<TopicBenchResults> {
  const started = Date.now()
  const runs: TopicRun[] = []
  try {
    for (let round = 1; round <= options.rounds; round++) {
      for (const topicCase of options.cases) {
        const run = await runTopicCase(topicCase, round, options)
        runs.push(run)
        const check = run.integrity
        options.log(
          `  r${round} ${topicCase.id.padEnd(15)} ${run.sourcesChanged ? '(Herald sources changed: left out) ' : ''}${
            run.error ??
            `${run.cpuPerEventMicros?.toFixed(2)} µs/event, ${Math.round(run.deliveredPerSecond ?? 0)} ev/s, ` +
              `exact ${check?.exact}/${check?.connections}, lost ${check?.lost} dup ${check?.duplicated} ` +
              `reorder ${check?.reordered} foreign ${(check?.foreign ?? 0) + (check?.unexpected ?? 0)}, ` +
              `connect ${((run.connectMs ?? 0) / 1000).toFixed(1)} s, loadgen ${Math.round((run.loadgenCpuShare ?? 0) * 100)}% cpu`
          }`,
        )
      }
    }
  } finally {
    killAll()
  }
  return { cases: options.cases, rounds: options.rounds, batch: options.batch, runs, durationMs: Date.now() - started }
}
