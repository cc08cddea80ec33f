// One idle-memory run of one server: heap and RSS after GC with a few connections, then with
// `clients` more; the growth divided by `clients` is the cost of one idle connection.
import type { ServerStats } from './api.ts'
import { type LaunchOptions, launchPair, type Pair, waitForSubscribers } from './launch.ts'
import type { IdleMemoryScenario, ServerName } from './scenarios.ts'

/** The figures of one idle-memory run. */
export interface IdleMemoryRun {
  scenario: string
  server: ServerName
  round: number
  error?: string | undefined
  before?: ServerStats | undefined
  after?: ServerStats | undefined
  heapPerConnection?: number | undefined
  rssPerConnection?: number | undefined
}

export async function runIdleMemory(
  scenario: IdleMemoryScenario,
  server: ServerName,
  round: number,
  options: LaunchOptions,
): Promise<IdleMemoryRun> {
  const run: IdleMemoryRun = { scenario: scenario.id, server, round }
  let pair: Pair | undefined
  try {
    pair = await launchPair(server, { ...options, profileName: `${server}-${scenario.id}-r${round}` })
    const { loadgen } = pair
    const launched = pair.server
    /** Opens `count` more connections (`total` in all) and measures after GC. */
    const grow = async (count: number, total: number) => {
      const command = { port: launched.port, path: launched.path, count, concurrency: 128, timeoutMs: 20_000 }
      const connected = await loadgen.rpc.call('connect', command, 120_000)
      if (connected.open !== total) throw new Error(`${connected.open}/${total} connected`)
      const subscribers = await waitForSubscribers(launched, total, 30_000)
      if (subscribers !== total) throw new Error(`${subscribers}/${total} subscribed`)
      return launched.rpc.call('stats', { gc: true })
    }
    const before = await grow(scenario.baseClients, scenario.baseClients)
    const after = await grow(scenario.clients, scenario.baseClients + scenario.clients)
    return {
      ...run,
      before,
      after,
      heapPerConnection: (after.heapUsed - before.heapUsed) / scenario.clients,
      rssPerConnection: (after.rss - before.rss) / scenario.clients,
    }
  } catch (error) {
    return { ...run, error: (error as Error).message }
  } finally {
    await pair?.stop()
  }
}
