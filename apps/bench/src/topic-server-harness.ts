// The part of the topic benchmark's server processes that is not the server under test: it
// listens, and on command draws the plan's topics and emits, broadcast or each event to its topic,
// with the same schedule and payloads (topic-plan.ts) for every server; it reports its CPU time.
import type { Server } from 'node:http'
import { runEmitSchedule } from './emit-schedule.ts'
import { nowMicros, type TickPayload } from './payload.ts'
import { serveBenchProcess } from './server-harness.ts'
import type { TopicEmitCommand } from './topic-api.ts'
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

/** Serves one topic server under test: each command's events broadcast, or each to its drawn topic. */
export function runTopicServer(server: TopicBenchServer): Promise<void> {
  return serveBenchProcess<TopicEmitCommand>({
    http: server.http,
    path: '/events',
    subscribers: () => server.subscribers(),
    prepare({ plan, layout, batch }) {
      // Drawn before the clock starts: the draw is the bench's work, not the server's.
      const targets = plan.mode === 'targeted' ? drawTargets(plan, layout.topics) : undefined
      const names = Array.from({ length: targets === undefined ? 0 : layout.topics }, (_, k) => topicName(layout, k))
      const pads = names.map(padOf)
      return () =>
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
    },
  })
}
