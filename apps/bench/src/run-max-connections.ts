// How many concurrent connections one server process holds with heartbeats on: connections are
// added level by level; at each level every connection must get a heartbeat (within 2.5
// intervals, 10 at most on a loaded machine) and every one of a few events. The first level
// that fails ends the attempt, and every step is bounded in time.
import type { ServerStats } from './api.ts'
import { type LaunchOptions, launchPair, type Pair, sleep, waitForSubscribers } from './launch.ts'
import type { MaxConnectionsScenario, ServerName } from './scenarios.ts'

/** What one level showed. */
export interface ConnectionLevel {
  target: number
  open: number
  subscribed: number
  /** Connections that received bytes (heartbeats) during the 2.5-interval window. */
  heartbeats: number
  /** Connections that received every event emitted at this level. */
  delivered: number
  connectMs: number
  stats: ServerStats
  ok: boolean
}

/** The figures of one server's max-connections attempt. */
export interface MaxConnectionsRun {
  scenario: string
  server: ServerName
  levels: ConnectionLevel[]
  /** The server's memory after GC before any connection. */
  baseline?: ServerStats | undefined
  /** The largest level every check passed at. */
  held: number
  error?: string | undefined
}

export async function runMaxConnections(
  scenario: MaxConnectionsScenario,
  server: ServerName,
  options: LaunchOptions,
): Promise<MaxConnectionsRun> {
  const run: MaxConnectionsRun = { scenario: scenario.id, server, levels: [], held: 0 }
  let pair: Pair | undefined
  try {
    pair = await launchPair(server, { ...options, heartbeatMs: scenario.heartbeatMs })
    const { loadgen } = pair
    const launched = pair.server
    run.baseline = await launched.rpc.call('stats', { gc: true })
    let current = 0
    for (const target of scenario.levels) {
      const command = {
        port: launched.port,
        path: launched.path,
        count: target - current,
        concurrency: 128,
        timeoutMs: 20_000,
      }
      const connected = await loadgen.rpc.call('connect', command, scenario.connectTimeoutMs)
      current = target
      const subscribed = await waitForSubscribers(launched, target, 30_000)
      // Every connection should have had a heartbeat 2.5 intervals after the mark; on a loaded
      // machine (CI) timers run late, so keep looking, up to 10 intervals.
      await loadgen.rpc.call('mark', null)
      await sleep(scenario.heartbeatMs * 2.5)
      let { receivedSinceMark } = await loadgen.rpc.call('alive', null)
      for (let waited = 2.5; receivedSinceMark < target && waited < 10; waited += 0.5) {
        await sleep(scenario.heartbeatMs / 2)
        receivedSinceMark = (await loadgen.rpc.call('alive', null)).receivedSinceMark
      }
      await loadgen.rpc.call('expect', { count: scenario.events, warmup: scenario.events })
      await launched.rpc.call('emit', { count: scenario.events, rate: 0, batch: scenario.events })
      const load = await loadgen.rpc.call('wait', { timeoutMs: 30_000 }, 40_000)
      const stats = await launched.rpc.call('stats', { gc: true })
      const ok =
        connected.open === target && subscribed === target && receivedSinceMark === target && load.complete === target
      run.levels.push({
        target,
        open: connected.open,
        subscribed,
        heartbeats: receivedSinceMark,
        delivered: load.complete,
        connectMs: connected.ms,
        stats,
        ok,
      })
      if (!ok) break
      run.held = target
    }
    return run
  } catch (error) {
    return { ...run, error: (error as Error).message }
  } finally {
    await pair?.stop()
  }
}
