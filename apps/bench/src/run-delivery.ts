// One delivery run (throughput or latency) of one server: connect every client, emit, wait
// until every event has arrived everywhere (or time out), and take the server's CPU time.
import { mkdirSync, writeFileSync } from 'node:fs'
import type { LoadResult, ServerStats } from './api.ts'
import { type LaunchOptions, launchPair, type Pair, waitForSubscribers } from './launch.ts'
import { nowMicros } from './payload.ts'
import { BENCH_DIR } from './processes.ts'
import type { DeliveryScenario, ServerName } from './scenarios.ts'

/** The figures of one delivery run. */
export interface DeliveryRun {
  scenario: string
  server: ServerName
  round: number
  /** Why the run could not complete, if it could not. */
  error?: string | undefined
  load?: LoadResult | undefined
  stats?: ServerStats | undefined
  /** Server CPU time (user + system) per delivered event, µs. */
  cpuPerEventMicros?: number | undefined
  /** Delivered events per second, from the first emit to the last arrival. */
  deliveredPerSecond?: number | undefined
  /** The load generator's CPU use over the run, as a share of one core. */
  loadgenCpuShare?: number | undefined
}

export async function runDelivery(
  scenario: DeliveryScenario,
  server: ServerName,
  round: number,
  options: LaunchOptions,
): Promise<DeliveryRun> {
  const run: DeliveryRun = { scenario: scenario.id, server, round }
  const profileName = `${server}-${scenario.id}-r${round}`
  let pair: Pair | undefined
  try {
    pair = await launchPair(server, { ...options, profileName })
    const { loadgen } = pair
    const launched = pair.server
    const connected = await loadgen.rpc.call(
      'connect',
      { port: launched.port, path: launched.path, count: scenario.clients, concurrency: 128, timeoutMs: 20_000 },
      60_000,
    )
    if (connected.open !== scenario.clients) throw new Error(`${connected.open}/${scenario.clients} connected`)
    const subscribers = await waitForSubscribers(launched, scenario.clients, 30_000)
    if (subscribers !== scenario.clients) throw new Error(`${subscribers}/${scenario.clients} subscribed`)
    await loadgen.rpc.call('expect', { count: scenario.events, warmup: scenario.warmup })
    const { startMicros } = await launched.rpc.call('emit', {
      count: scenario.events,
      rate: scenario.rate,
      batch: scenario.batch,
    })
    const load = await loadgen.rpc.call('wait', { timeoutMs: scenario.timeoutMs }, scenario.timeoutMs + 10_000)
    const stats = await launched.rpc.call('stats', { gc: false })
    if (options.cpuProf) {
      // The emit phase on the profile's clock, for profile-summary.ts (plain text: no linter reads it).
      const window = `${startMicros} ${load.lastMicros || nowMicros()}\n`
      for (const dir of [profileName, `loadgen-${profileName}`]) {
        mkdirSync(`${BENCH_DIR}/profiles/${dir}`, { recursive: true })
        writeFileSync(`${BENCH_DIR}/profiles/${dir}/emit-window.txt`, window)
      }
    }
    const cpu = stats.cpuUserMicros + stats.cpuSystemMicros
    return {
      ...run,
      load,
      stats,
      cpuPerEventMicros: load.delivered === 0 ? undefined : cpu / load.delivered,
      deliveredPerSecond:
        load.lastMicros > startMicros ? load.delivered / ((load.lastMicros - startMicros) / 1e6) : undefined,
      loadgenCpuShare: load.cpuMicros / Math.max(1, load.wallMicros),
    }
  } catch (error) {
    return { ...run, error: (error as Error).message }
  } finally {
    await pair?.stop()
  }
}
