// The part of every server process that is not the server under test: it listens where the
// runner says, emits on command with the same schedule and payloads for everyone, and reports
// its own CPU time and memory.
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { EmitCommand, ServerApi, ServerInfo } from './api.ts'
import { runEmitSchedule } from './emit-schedule.ts'
import { makePayload, nowMicros, type TickPayload } from './payload.ts'
import { serveRpc } from './rpc.ts'

/** One server under test, as its own file in `servers/` builds it. */
export interface BenchServer {
  /** The URL path of its SSE stream. */
  readonly path: string
  /** The Node HTTP server to listen with (Koa's `callback()` wrapped, or a plain one). */
  readonly http: Server
  /** Sends one `tick` event to every subscriber, the way the framework's users would. */
  broadcast(payload: TickPayload): void
  /** Streams that will receive the next broadcast. */
  subscribers(): number
}

/** Milliseconds between heartbeats on idle streams, the same for every server (env `HEARTBEAT_MS`). */
export function heartbeatMs(): number {
  return Number(process.env['HEARTBEAT_MS'] ?? 15_000)
}

function portOption(): number {
  const flag = process.argv.indexOf('--port')
  const value = flag === -1 ? process.env['PORT'] : process.argv[flag + 1]
  return Number(value ?? 0)
}

/** A server process as the runner drives it: its HTTP server, and how it emits a command's events. */
export interface BenchProcess<TCommand> {
  readonly http: Server
  /** The URL path of its SSE stream. */
  readonly path: string
  /** Streams open. */
  subscribers(): number
  /** Prepares a command's emits (untimed: the bench's own work) and returns them, to run on the clock. */
  prepare(command: TCommand): () => void
}

/** The runner's commands to a process whose `emit` takes `TCommand`. */
type ProcessApi<TCommand> = Omit<ServerApi, 'emit'> & {
  emit: { params: TCommand; result: { startMicros: number } }
}

/**
 * Listens on 127.0.0.1 (port from `--port` or `PORT`, 0 for any) and serves the runner's
 * commands: emit on the clock, report CPU time and memory since, exit.
 */
export async function serveBenchProcess<TCommand>(bench: BenchProcess<TCommand>): Promise<void> {
  // A deep accept backlog, so opening thousands of connections never waits for SYN retries.
  await new Promise<void>((resolve, reject) => {
    bench.http.once('error', reject)
    bench.http.listen({ port: portOption(), host: '127.0.0.1', backlog: 4096 }, resolve)
  })
  let cpuFrom = process.cpuUsage()
  serveRpc<ProcessApi<TCommand>>(
    {
      subscribers: () => bench.subscribers(),
      emit(command) {
        const run = bench.prepare(command)
        cpuFrom = process.cpuUsage()
        const startMicros = nowMicros()
        run()
        return { startMicros }
      },
      stats({ gc }) {
        if (gc) {
          globalThis.gc?.()
          globalThis.gc?.()
        }
        const cpu = process.cpuUsage(cpuFrom)
        const memory = process.memoryUsage()
        return {
          cpuUserMicros: cpu.user,
          cpuSystemMicros: cpu.system,
          heapUsed: memory.heapUsed,
          rss: memory.rss,
          external: memory.external,
          subscribers: bench.subscribers(),
        }
      },
      exit() {
        setImmediate(() => process.exit(0))
        return null
      },
    },
    { port: (bench.http.address() as AddressInfo).port, path: bench.path } satisfies ServerInfo,
  )
}

/** Serves one broadcast server under test: each command's events are `tick`s to every stream. */
export function runBenchServer(server: BenchServer): Promise<void> {
  return serveBenchProcess<EmitCommand>({
    http: server.http,
    path: server.path,
    subscribers: () => server.subscribers(),
    prepare: (command) => () =>
      runEmitSchedule(
        command,
        (seq) => server.broadcast(makePayload(seq)),
        () => {},
      ),
  })
}
