// Starts test-channel-process.ts in a child process and talks to it over IPC, so a test can load
// a Herald server over real sockets and read that server's own heap, handles and timers.
import { type ChildProcess, spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'

/** What `createChannel` gets in the child: plain JSON, so no `clientKey` or `engine`. */
export interface ProcessOptions {
  /** Count live timers with async hooks, for `close` to report. @default false */
  trackTimers?: boolean
  channel?: {
    heartbeatMs?: number
    retryMs?: number
    historySize?: number
    maxBufferedBytes?: number
    maxEventBytes?: number
    replayBudget?: number
  }
}

/** `process.memoryUsage()` fields the tests bound. */
export interface MemorySample {
  heapUsed: number
  /** Buffers, among them the frames a stalled socket still holds. */
  arrayBuffers: number
  external: number
  rss: number
}

export type ChannelCommand =
  /**
   * Emits `count` `blob` events of `bytes` padding in batches, yielding to I/O after each, paced
   * at `bytesPerSecond` (0: unpaced); every `gcEveryMs` (0: never) collects garbage and samples
   * the memory still in use.
   */
  | { op: 'emit'; count: number; bytes: number; batch: number; bytesPerSecond: number; gcEveryMs: number }
  /** `channel.size` and memory, after a full gc when `gc`. */
  | { op: 'stats'; gc: boolean }
  /** The highest memory sampled (every 5 ms and every emit batch) since the last `peak`, and memory after gc. */
  | { op: 'peak' }
  /**
   * `channel.close()`, then `server.close()` without closeAllConnections; then, after `settleMs`
   * (default 1100: Node's Date-header timer runs out, for `liveTimers` and `resources`), the child
   * answers and lets go of IPC.
   */
  | { op: 'close'; settleMs?: number }

export type ChannelReply =
  | {
      op: 'emit'
      ids: string[]
      ms: number
      /** The highest memory in use right after the collections `gcEveryMs` asked for. */
      retained: Pick<MemorySample, 'heapUsed' | 'arrayBuffers'>
    }
  | { op: 'stats'; size: number; memory: MemorySample }
  | { op: 'peak'; peak: MemorySample; memory: MemorySample }
  | {
      op: 'close'
      channelMs: number
      serverMs: number
      size: number
      /** `process.getActiveResourcesInfo()` once both have closed. */
      resources: string[]
      /** Timeouts (ref'd or not) alive `settleMs` after both have closed, with `trackTimers`. */
      liveTimers: number | undefined
    }

/** A running child: its stream URL, a command channel, and how it ended. */
export interface ChannelProcess {
  readonly url: string
  readonly port: number
  send<TOp extends ChannelCommand['op']>(
    command: Extract<ChannelCommand, { op: TOp }>,
  ): Promise<Extract<ChannelReply, { op: TOp }>>
  /** Resolves with the exit code (or signal name) once the child has exited. */
  readonly exited: Promise<number | string>
  /** What the child printed, for failure messages. */
  output(): string
  /** Kills the child if it still runs. */
  kill(): void
}

const FIXTURE = fileURLToPath(new URL('./test-channel-process.ts', import.meta.url))

export async function startChannelProcess(options: ProcessOptions = {}): Promise<ChannelProcess> {
  const child: ChildProcess = spawn(
    process.execPath,
    ['--expose-gc', '--import', 'tsx', '--conditions=@herald/source', FIXTURE, JSON.stringify(options)],
    { cwd: fileURLToPath(new URL('..', import.meta.url)), stdio: ['ignore', 'pipe', 'pipe', 'ipc'] },
  )
  let output = ''
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk
  })
  child.stderr?.on('data', (chunk: Buffer) => {
    output += chunk
  })
  const exited = new Promise<number | string>((resolve) =>
    child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown')),
  )
  const pending = new Map<number, { resolve: (reply: ChannelReply) => void; reject: (error: Error) => void }>()
  let nextId = 0
  child.on('message', (message: { id: number; reply?: ChannelReply; error?: string }) => {
    const waiter = pending.get(message.id)
    pending.delete(message.id)
    if (message.error !== undefined) waiter?.reject(new Error(`child: ${message.error}`))
    else if (message.reply !== undefined) waiter?.resolve(message.reply)
  })
  void exited.then((code) => {
    for (const waiter of pending.values()) waiter.reject(new Error(`child exited (${code}): ${output}`))
    pending.clear()
  })
  const port = await new Promise<number>((resolve, reject) => {
    child.once('message', (message: { port?: number }) =>
      message.port === undefined ? reject(new Error('no port')) : resolve(message.port),
    )
    void exited.then((code) => reject(new Error(`child exited (${code}) before listening: ${output}`)))
  })
  return {
    url: `http://127.0.0.1:${port}/events`,
    port,
    exited,
    output: () => output,
    kill: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
    },
    send(command) {
      const id = nextId++
      return new Promise((resolve, reject) => {
        pending.set(id, { resolve: resolve as (reply: ChannelReply) => void, reject })
        child.send({ id, command })
      })
    },
  }
}
