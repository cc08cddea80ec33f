// The cases of the topic benchmark (issue #9), at full size and at the smoke size the test suite
// runs. Every round runs all of them, in this order, each with a fresh server and load generator.
import type { TopicLayout } from './topic-plan.ts'

/** One case: a channel, its streams and their topics, and how the events are emitted. */
export interface TopicCase {
  id:
    | 'baseline'
    | 'broadcast-rooms'
    | 'targeted-many'
    | 'targeted-few'
    | 'targeted-hot'
    | 'targeted-one'
    | 'broadcast-one'
    | 'node-many'
    | 'node-few'
  title: string
  /**
   * `topics`: Herald with a topic contract; `broadcast-only`: a contract without topics, served by
   * plain `sse(channel)`; `node-http`: the hand-written diagnostic (servers/node-http-topics.ts).
   */
  channel: 'broadcast-only' | 'topics' | 'node-http'
  layout: TopicLayout
  clients: number
  mode: 'broadcast' | 'targeted'
  events: number
  /** Targeted events go to the first `among` topics only; default all. */
  among?: number | undefined
  timeoutMs: number
}

/** The cases at `size`: full (10,000 topics, 1,000 connections) or smoke (a few hundred at most). */
export function topicCases(size: 'full' | 'smoke'): TopicCase[] {
  const full = size === 'full'
  const broadcastClients = full ? 1000 : 20
  const rooms = full ? 100 : 5
  const broadcastEvents = full ? 300 : 20
  const many = full ? 10_000 : 200
  const targetedEvents = full ? 20_000 : 1000
  const few = 10
  const timeoutMs = full ? 120_000 : 10_000
  const n = (value: number) => value.toLocaleString('en')
  return [
    {
      id: 'baseline',
      title: `Broadcast-only channel: broadcast to ${n(broadcastClients)} connections joined to no topic`,
      channel: 'broadcast-only',
      layout: { kind: 'none', topics: 0 },
      clients: broadcastClients,
      mode: 'broadcast',
      events: broadcastEvents,
      timeoutMs,
    },
    {
      id: 'broadcast-rooms',
      title: `Broadcast to ${n(broadcastClients)} connections spread over ${n(rooms)} topics`,
      channel: 'topics',
      layout: { kind: 'room', topics: rooms },
      clients: broadcastClients,
      mode: 'broadcast',
      events: broadcastEvents,
      timeoutMs,
    },
    {
      id: 'targeted-many',
      title: `Emit to one random topic among ${n(many)} single-subscriber topics`,
      channel: 'topics',
      layout: { kind: 'user', topics: many },
      clients: many,
      mode: 'targeted',
      events: targetedEvents,
      timeoutMs,
    },
    {
      id: 'targeted-few',
      title: `Emit to one random topic among ${n(few)} single-subscriber topics`,
      channel: 'topics',
      layout: { kind: 'user', topics: few },
      clients: few,
      mode: 'targeted',
      events: targetedEvents,
      timeoutMs,
    },
    {
      // A diagnostic: as many connections as targeted-many, written to as few as targeted-few, to
      // tell what open connections cost a targeted emit from what writing to many sockets costs.
      id: 'targeted-hot',
      title: `Emit to one random topic among the first ${n(few)} of ${n(many)} single-subscriber topics`,
      channel: 'topics',
      layout: { kind: 'user', topics: many },
      clients: many,
      mode: 'targeted',
      events: targetedEvents,
      among: few,
      timeoutMs,
    },
    {
      // One connection, one topic, every event to it: against broadcast-one, what the topic
      // machinery adds to an emit, with the sockets written to the same.
      id: 'targeted-one',
      title: 'Emit to the one topic of 1 connection',
      channel: 'topics',
      layout: { kind: 'user', topics: 1 },
      clients: 1,
      mode: 'targeted',
      events: targetedEvents,
      timeoutMs,
    },
    {
      // The same number of emits as a targeted case, each delivered once: what an emit costs
      // without topics.
      id: 'broadcast-one',
      title: 'Broadcast-only channel: broadcast to 1 connection',
      channel: 'broadcast-only',
      layout: { kind: 'none', topics: 0 },
      clients: 1,
      mode: 'broadcast',
      events: targetedEvents,
      timeoutMs,
    },
    // Diagnostics: targeted-many and targeted-few on hand-written node:http, so node-many /
    // node-few shows what writing to many distinct sockets costs Node itself.
    {
      id: 'node-many',
      title: `node:http by hand: emit to one random topic among ${n(many)} single-subscriber topics`,
      channel: 'node-http',
      layout: { kind: 'user', topics: many },
      clients: many,
      mode: 'targeted',
      events: targetedEvents,
      timeoutMs,
    },
    {
      id: 'node-few',
      title: `node:http by hand: emit to one random topic among ${n(few)} single-subscriber topics`,
      channel: 'node-http',
      layout: { kind: 'user', topics: few },
      clients: few,
      mode: 'targeted',
      events: targetedEvents,
      timeoutMs,
    },
  ]
}
