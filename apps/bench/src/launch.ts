// Starting one server under test and one load generator for a run, and the waits every
// scenario shares.
import type { LoadgenApi, ServerApi, ServerInfo } from './api.ts'
import { type Child, spawnChild } from './processes.ts'
import type { ServerName } from './scenarios.ts'

/** How the runner starts servers. */
export interface LaunchOptions {
  /** Resolve @herald/* to the packages' TypeScript source (`@herald/source`), not their built dist. */
  source: boolean
  /** Write CPU profiles of every server and load generator to `profiles/` when they exit. */
  cpuProf: boolean
}

/** A server under test, started and listening. */
export interface LaunchedServer extends Child<ServerApi> {
  readonly port: number
  readonly path: string
}

/** Starts `src/servers/<name>.ts` with `--expose-gc` and waits until it listens. */
export async function launchServer(
  name: ServerName,
  options: LaunchOptions & { heartbeatMs?: number; profileName?: string },
): Promise<LaunchedServer> {
  const nodeArgs = ['--expose-gc', ...profileArgs(options, options.profileName ?? name)]
  if (options.source) nodeArgs.push('--conditions=@herald/source')
  const child = await spawnChild<ServerApi>({
    name,
    script: `src/servers/${name}.ts`,
    nodeArgs,
    env: { PORT: '0', HEARTBEAT_MS: String(options.heartbeatMs ?? 15_000) },
  })
  const info = child.info as ServerInfo
  return { ...child, port: info.port, path: info.path }
}

// One directory per process: tsx's loader runs in a worker thread, which writes a profile of its
// own, so a fixed file name would let it overwrite the main thread's (thread id 0 in the name).
function profileArgs(options: LaunchOptions, name: string): string[] {
  return options.cpuProf ? ['--cpu-prof', `--cpu-prof-dir=profiles/${name}`] : []
}

/** Starts a load generator. */
export function launchLoadgen(options: LaunchOptions & { profileName?: string }): Promise<Child<LoadgenApi>> {
  return spawnChild<LoadgenApi>({
    name: 'loadgen',
    script: 'src/loadgen.ts',
    nodeArgs: profileArgs(options, `loadgen-${options.profileName ?? 'run'}`),
  })
}

/** The two processes of one run. */
export interface Pair {
  readonly server: LaunchedServer
  readonly loadgen: Child<LoadgenApi>
  /** Stops both, whatever state they are in. */
  stop(): Promise<void>
}

/** Starts a server and a load generator side by side; if either fails, stops the other and throws. */
export async function launchPair(
  name: ServerName,
  options: LaunchOptions & { heartbeatMs?: number; profileName?: string },
): Promise<Pair> {
  const [server, loadgen] = await Promise.allSettled([launchServer(name, options), launchLoadgen(options)])
  if (server.status === 'rejected' || loadgen.status === 'rejected') {
    await stopAll([
      server.status === 'fulfilled' ? server.value : undefined,
      loadgen.status === 'fulfilled' ? loadgen.value : undefined,
    ])
    throw server.status === 'rejected' ? server.reason : loadgen.status === 'rejected' ? loadgen.reason : undefined
  }
  // A profile is written at exit, which can take a few seconds for a long run.
  const graceMs = options.cpuProf ? 15_000 : 2000
  return { server: server.value, loadgen: loadgen.value, stop: () => stopAll([server.value, loadgen.value], graceMs) }
}

/** Polls until the server has `count` subscribers; returns how many it has when the time is up. */
export async function waitForSubscribers(server: LaunchedServer, count: number, timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs
  let subscribers = await server.rpc.call('subscribers', null)
  while (subscribers < count && Date.now() < deadline) {
    await sleep(20)
    subscribers = await server.rpc.call('subscribers', null)
  }
  return subscribers
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

/** Stops both processes of a run, whatever happened. */
export async function stopAll(children: readonly (Child<LoadgenApi> | LaunchedServer | undefined)[], graceMs?: number) {
  await Promise.all(children.map((child) => child?.stop(graceMs)))
}
