// Runs the real `herald` binary in a child process, as a user's shell would, and watches its output.
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'

/** The package's directory. */
export const PACKAGE_DIR = fileURLToPath(new URL('..', import.meta.url))
/** The test contract, as a user passes `--events ./src/events.ts`. */
export const CONTRACT = fileURLToPath(new URL('./test-contract.ts', import.meta.url))
/** The binary from source: Node with tsx, the workspace's packages from their sources. */
export const FROM_SOURCE = [
  process.execPath,
  '--conditions=@herald/source',
  '--import',
  'tsx',
  fileURLToPath(new URL('./main.ts', import.meta.url)),
]

/** How a run ended. */
export interface Exit {
  readonly code: number | null
  readonly signal: NodeJS.Signals | null
}

/** A running `herald`. */
export interface Cli {
  readonly stdout: string
  readonly stderr: string
  /** Resolves once the stream's text matches `pattern`; rejects after `timeoutMs`, or if the process exits first. */
  waitFor(stream: 'stdout' | 'stderr', pattern: RegExp, timeoutMs?: number): Promise<void>
  kill(signal: NodeJS.Signals): void
  readonly exited: Promise<Exit>
}

const running = new Set<Cli>()

/**
 * Starts `herald <args>` with `command` (the source entry by default) in `cwd` (this package), in
 * an environment without `NO_COLOR` and `FORCE_COLOR` unless `env` sets them.
 */
export function startCli(
  args: readonly string[],
  options: { env?: NodeJS.ProcessEnv; command?: readonly string[]; cwd?: string } = {},
): Cli {
  const [file = '', ...prefix] = options.command ?? FROM_SOURCE
  const env = { ...process.env }
  delete env['NO_COLOR']
  delete env['FORCE_COLOR']
  const child = spawn(file, [...prefix, ...args], { cwd: options.cwd ?? PACKAGE_DIR, env: { ...env, ...options.env } })
  const text = { stdout: '', stderr: '' }
  const changed = new Set<() => void>()
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    text.stdout += chunk
    for (const check of changed) check()
  })
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    text.stderr += chunk
    for (const check of changed) check()
  })
  const exited = new Promise<Exit>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })))
  let ended = false
  const cli: Cli = {
    get stdout() {
      return text.stdout
    },
    get stderr() {
      return text.stderr
    },
    waitFor(stream, pattern, timeoutMs = 15_000) {
      return new Promise<void>((resolve, reject) => {
        const done = (error?: Error) => {
          clearTimeout(timer)
          changed.delete(check)
          if (error === undefined) resolve()
          else reject(error)
        }
        const check = () => {
          if (pattern.test(text[stream])) done()
          else if (ended) done(new Error(`herald exited before its ${stream} matched ${pattern}:\n${text.stderr}`))
        }
        const timer = setTimeout(
          () =>
            done(
              new Error(
                `no ${pattern} on ${stream} within ${timeoutMs} ms; stdout:\n${text.stdout}\nstderr:\n${text.stderr}`,
              ),
            ),
          timeoutMs,
        )
        changed.add(check)
        check()
      })
    },
    kill(signal) {
      child.kill(signal)
    },
    exited,
  }
  void exited.then(() => {
    ended = true
    running.delete(cli)
    for (const check of changed) check()
  })
  running.add(cli)
  return cli
}

/** Kills every `herald` a test left running (for `afterEach`). */
export async function killAll(): Promise<void> {
  const left = [...running]
  for (const cli of left) cli.kill('SIGKILL')
  await Promise.all(left.map((cli) => cli.exited))
}
