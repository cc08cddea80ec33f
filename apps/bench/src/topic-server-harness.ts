// The part of the topic benchmark's server processes that is not the server under test: it
// listens, and on command draws the plan's topics and emits, broadcast or each event to its topic,
// with the same schedule and payloads (topic-plan.ts) for every server; it reports its CPU time.
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { ServerInfo } from './api.ts'
import { runEmitSchedule } from './emit-schedule.ts'
import { nowMicros, type TickPayload } from './payload.ts'
import { serveRpc } from './rpc.ts'
import type { TopicServerApi } from './topic-api.ts'
import { BROADCAST_PAD, drawTargets, padOf, topicName } from './topic-plan.ts'

/** One server under test of the topic benchmark. */
export interface TopicBenchServer {
  readonly http: Server
  /** Sends one `tick` event to every stream. */
  broadcast(payload: TickPayload): void
  /** Sends one `tick` event to the streams of `topic`. */
  emitTo(topic: string, payload: TickPayload): void
  /** Open streams. */
  subscribers(): number
}

/** Listens on 127.0.0.1 (port from `PORT`, 0 for any) and serves the runner's commands. */
export async function runTopicServer(server: TopicBenchServer): Promise<void> {
  const { http } = server
  // A deep accept backlog, so opening thousands of connections never waits for SYN retries.
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject)
    http.listen({ port: Number(process.env['PORT'] ?? 0), host: '127.0.0.1', backlog: 4096 }, resolve)
  })
  let cpuFrom = process.cpuUsage()
  serveRpc<TopicServerApi>(
    {
      subscribers: () => server.subscribers(),
      emit({ plan, layout, batch }) {
        // Drawn before the clock starts: the draw is the bench's work, not the server's.
        const targets = plan.mode === 'targeted' ? drawTargets(plan, layout.topics) : undefined
        const names = Array.from({ length: targets === undefined ? 0 : layout.topics }, (_, k) => topicName(layout, k))
        const pads = names.map(padOf)
        cpuFrom = process.cpuUsage()
        const startMicros = nowMicros()
        runEmitSchedule(
          { count: plan.count, rate: 0, batch },
          targets === undefined
            ? (seq) => server.broadcast({ seq, t: nowMicros(), pad: BROADCAST_PAD })
            : (n) => {
                const topic = targets.topic[n - 1] as number
                const seq = targets.seq[n - 1] as number
                server.emitTo(names[topic] as string, { seq, t: nowMicros(), pad: pads[topic] as string })
              },
          () => {},
        )
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
          subscribers: server.subscribers(),
        }
      },
      exit() {
        setImmediate(() => process.exit(0))
        return null
      },
    },
    { port: (http.address() as AddressInfo).port, path: '/events' } satisfies ServerInfo,
  )
}
