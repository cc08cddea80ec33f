import { execFile, spawn } from 'node:child_process'

/** What a finished command left behind. */
export interface RunResult {
  readonly code: number
  readonly stdout: string
  readonly stderr: string
}

/** Options of `run`. */
export interface RunOptions {
  readonly cwd: string
  /** Milliseconds before the command is killed. @default 120000 */
  readonly timeoutMs?: number
}

/**
 * The environment for a command run as a user would run it: without the `npm_*` variables an
 * `npm test` parent leaves behind, which would point a nested npm at this workspace's config.
 */
export function userEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {}
  for (const [key, value] of Object.entries(process.env)) {
    if (!key.toLowerCase().startsWith('npm_')) env[key] = value
  }
  return { ...env, NO_COLOR: '1', FORCE_COLOR: '0' }
}

/** Runs a command to its end; never rejects for a non-zero exit, which is in `code`. */
export function run(command: string, args: readonly string[], options: RunOptions): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    execFile(
      command,
      args,
      { cwd: options.cwd, env: userEnv(), timeout: options.timeoutMs ?? 120_000, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (error !== null && typeof error.code !== 'number') reject(error)
        else resolve({ code: error === null ? 0 : Number(error.code), stdout, stderr })
      },
    )
  })
}

/**
 * Like `Promise.all`, but waits for every task to settle before rejecting, so no command is still
 * writing into a directory that the caller is about to remove.
 */
export async function allSettled<T>(tasks: readonly Promise<T>[]): Promise<T[]> {
  const results = await Promise.allSettled(tasks)
  const failed = results.find((result) => result.status === 'rejected')
  if (failed !== undefined) throw failed.reason
  return results.map((result) => (result as PromiseFulfilledResult<T>).value)
}

/** A server process started by `serve`, listening on `port`. */
export interface ServedProcess {
  readonly port: number
  /** Everything the process wrote to stderr so far. */
  stderr(): string
  stop(): Promise<void>
}

/** Starts `node <script>` and resolves once it prints `listening <port>`. */
export function serve(script: string, cwd: string): Promise<ServedProcess> {
  const child = spawn(process.execPath, [script], { cwd, env: userEnv(), stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString()
  })
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) child.kill()
    await exited
  }
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      void stop()
      reject(new Error(`${script} did not start within 60 s; stderr: ${stderr}`))
    }, 60_000)
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`${script} exited with ${code}; stderr: ${stderr}`))
    })
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString()
      const port = /listening (\d+)/.exec(stdout)?.[1]
      if (port === undefined) return
      clearTimeout(timer)
      resolve({ port: Number(port), stderr: () => stderr, stop })
    })
  })
}
