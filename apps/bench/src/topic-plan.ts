// What the topic benchmark's server and load generator agree on without talking: which topic
// each connection joins, which topic each emitted event goes to (a seeded pseudo-random draw, the
// same in both processes), and so exactly which events each connection must receive.
//
// A targeted event carries its topic's own sequence number (1, 2, … within that topic), so every
// connection expects events 1..m of its topic, once and in order, and the load generator's stream
// counter checks them as it checks a broadcast. Its `pad` names the topic it was sent to (padded to
// the same 56 characters as a broadcast's), so an event delivered to the wrong stream is seen as such.

/** The topics the streams of a run join: none, one `user:<n>` each, or `room:<k>` of `topics` rooms. */
export interface TopicLayout {
  /** `none`: the broadcast-only channel, whose contract declares no topics. */
  kind: 'none' | 'user' | 'room'
  /** Distinct topics: connection i joins `user:<i+1>`, or `room:<(i mod topics) + 1>`. */
  topics: number
}

/** How the events of a run are sent: all broadcast, or each to one topic drawn at random. */
export interface EmitPlan {
  mode: 'broadcast' | 'targeted'
  /** Events emitted. */
  count: number
  /** Seeds the draw of each targeted event's topic. */
  seed: number
  /** Targeted events are drawn among the first `among` topics of the layout; default all of them. */
  among?: number | undefined
}

/** The pad of a broadcast event: the same 56 characters as every other bench server's. */
export const BROADCAST_PAD = 'x'.repeat(56)

/** The name of topic `index` (0 ≤ index < topics) of a layout with topics: `user:<index+1>` or `room:<index+1>`. */
export function topicName(layout: TopicLayout, index: number): string {
  return `${layout.kind}:${index + 1}`
}

/** The topic connection `index` (from 0) joins, or undefined on the broadcast-only channel. */
export function topicOf(layout: TopicLayout, index: number): string | undefined {
  return layout.kind === 'none' ? undefined : topicName(layout, index % layout.topics)
}

/** The pad of an event sent to `topic`: the topic's name filled out with `x` to 56 characters. */
export function padOf(topic: string): string {
  return `${topic}${BROADCAST_PAD}`.slice(0, BROADCAST_PAD.length)
}

/** The draws of a targeted plan: each event's topic index, and its sequence number in that topic. */
export interface Targets {
  /** Topic index (0 ≤ i < topics) of event n, at n - 1. */
  readonly topic: Uint32Array
  /** Sequence number within its topic (from 1) of event n, at n - 1. */
  readonly seq: Uint32Array
  /** Events per topic. */
  readonly perTopic: Uint32Array
}

/** Draws the topic of each of `plan.count` events among `topics` (or `plan.among`) (mulberry32, seeded). */
export function drawTargets(plan: EmitPlan, layoutTopics: number): Targets {
  const topics = Math.min(layoutTopics, plan.among ?? layoutTopics)
  const topic = new Uint32Array(plan.count)
  const seq = new Uint32Array(plan.count)
  const perTopic = new Uint32Array(topics)
  let state = plan.seed >>> 0
  for (let n = 0; n < plan.count; n++) {
    state = (state + 0x6d2b79f5) >>> 0
    let mixed = Math.imul(state ^ (state >>> 15), state | 1)
    mixed ^= mixed + Math.imul(mixed ^ (mixed >>> 7), mixed | 61)
    const draw = ((mixed ^ (mixed >>> 14)) >>> 0) / 2 ** 32
    const index = Math.floor(draw * topics)
    topic[n] = index
    perTopic[index] = (perTopic[index] as number) + 1
    seq[n] = perTopic[index] as number
  }
  return { topic, seq, perTopic }
}

/**
 * The events connection `index` must receive: every event of a broadcast plan; of a targeted
 * plan, those drawn for its topic (connections and topics correspond one to one in a `user` layout).
 */
export function expectedFor(layout: TopicLayout, plan: EmitPlan, targets: Targets | undefined, index: number): number {
  if (plan.mode === 'broadcast') return plan.count
  return targets?.perTopic[index % layout.topics] ?? 0
}
