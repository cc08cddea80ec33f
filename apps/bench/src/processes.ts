// Starting and stopping the bench's child processes. Each child runs in its own process group
// (so it and anything it starts can be killed together), with the file-descriptor limit raised
// to the hard limit, and is tracked until it exits; `killAll` runs on every way out of the runner.
import { type ChildProcess, spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { type AnyApi, createRpcClient, type RpcClient, waitReady } from './rpc.ts'

/** The bench workspace's directory. */
export const BENCH_DIR = fileURLToPath(new URL('..', import.meta.url))

/** A running child process and its RPC client. */
export interface Child<TApi extends AnyApi> {
  readonly name: string
  readonly pid: number
  readonly rpc: RpcClient<TApi>
  /** What the child reported when it became ready. */
  readonly info: unknown
  /** Asks the child to exit (so a CPU profile gets written), then kills its group. */
  stop(graceMs?: number): Promise<void>
}

/** How to start a TypeScript entry point of this workspace. */
export interface SpawnOptions {
  name: string
  /** Path relative to the workspace, e.g. `src/loadgen.ts`. */
  script: string
  /** Extra Node flags, before the script. */
  nodeArgs?: readonly string[]
  env?: Readonly<Record<string, string>>
  readyTimeoutMs?: number
}

const running = new Set<ChildProcess>()

function killGroup(child: ChildProcess): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return
  try {
    process.kill(-child.pid, 'SIGKILL')
  } catch {
    child.kill('SIGKILL')
  }
}

/** Kills every child still running; safe to call from an `exit` handler. */
export function killAll(): void {
  for (const child of running) killGroup(child)
  running.clear()
}

/** Starts `node --import tsx <script>` under `ulimit -n <hard limit>` and waits until it is ready. */
export async function spawnChild<TApi extends AnyApi>(options: SpawnOptions): Promise<Child<TApi>> {
  const args = [...(options.nodeArgs ?? []), '--import', 'tsx', options.script]
  // bash raises the soft fd limit, then execs node, so the pid we hold is node's.
  const child = spawn('bash', ['-c', 'ulimit -n "$(ulimit -Hn)" && exec "$0" "$@"', process.execPath, ...args], {
    cwd: BENCH_DIR,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    detached: true,
  })
  running.add(child)
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  void exited.then(() => running.delete(child))
  try {
    const info = await waitReady(child, options.name, options.readyTimeoutMs ?? 30_000)
    const rpc = createRpcClient<TApi>(child, options.name)
    return {
      name: options.name,
      pid: child.pid ?? -1,
      rpc,
      info,
      async stop(graceMs = 2000) {
        if (child.exitCode === null && child.signalCode === null) {
          child.send({ rpc: 0, method: 'exit', params: null }, () => {})
          const timer = new Promise<void>((resolve) => setTimeout(resolve, graceMs).unref())
          await Promise.race([exited, timer])
        }
        killGroup(child)
        await exited
      },
    }
  } catch (error) {
    killGroup(child)
    throw error
  }
}
