import { decodeControl, HeraldError } from '@herald/schema'
import type { ListenWith } from './control-events.ts'

// The deploy self-check: two faults of what sits between a Herald server and its clients, seen
// from the client with no help from the server beyond what it already sends.
// - Batching. The server writes every event and ping as it happens; an event id's `<ms>` is the
//   server's clock at emit, and pings come one per heartbeat interval. Messages sent far apart
//   that arrive together were held on the way (response compression, a buffering proxy).
// - An idle timeout. A stream may be silent for up to two heartbeat intervals (the server pings
//   one that got nothing during a whole interval). Connections cut again and again after the same
//   shorter silence are a proxy's idle timeout.
// Each is reported once per client, as `DEPLOY_WARNING`; the stream carries on. A client without
// the option never imports this file, so a production bundle leaves it out.

/** Messages that arrive this close after one another came in one delivery. */
const TOGETHER_MS = 10
/** A delivery holding messages sent at least this far apart was held on the way. */
const SPREAD_MS = 100
/** Of the last `WINDOW` deliveries, `BURSTS` held back: batched, not a stall of the client's own. */
const WINDOW = 8
const BURSTS = 3
/** Cuts in a row, after silences within `CUT_TOLERANCE` of each other (at least `CUT_SLACK_MS`). */
const CUTS = 3
const CUT_TOLERANCE = 0.25
const CUT_SLACK_MS = 30
/** A cut this soon after a message is the server's or the network's doing, not an idle timeout. */
const MIN_IDLE_MS = 50

/** What the client gives a self-check. */
export interface SelfCheckContext {
  /** The stream URL, as messages show it. */
  readonly shown: string
  /** Reports to the client's `onError` hooks. */
  report(error: HeraldError): void
  /** The contract's event names. */
  readonly names: Iterable<string>
}

/** One client's self-check: `listen` is called for each connection, with its listener adder. */
export interface SelfCheckRun {
  listen(on: ListenWith): void
}

/**
 * A development check of the path between server and client, created once per client; pass
 * `selfCheck` as the `selfCheck` option of `createClient`.
 */
export type SelfCheck = (context: SelfCheckContext) => SelfCheckRun

/**
 * Reports, once each, as `DEPLOY_WARNING` to `onError`: events arriving batched (something
 * between server and client holds bytes and releases them in bursts), and connections cut after
 * the same silence again and again, shorter than the heartbeat leaves (a proxy's idle timeout).
 */
export const selfCheck: SelfCheck = ({ shown, report, names }) => {
  const probe = createProbe((message) => report(new HeraldError('DEPLOY_WARNING', `${shown}: ${message}`)))
  return {
    listen(on) {
      const lifecycle = (fn: () => void) => (event: Event) => {
        if (!(event instanceof MessageEvent)) fn()
      }
      on('open', lifecycle(probe.opened))
      on('error', lifecycle(probe.dropped))
      on('herald:hello', (event) => {
        probe.hello(decodeControl('herald:hello', (event as MessageEvent<string>).data)?.heartbeatMs ?? 0)
      })
      on('herald:ping', () => probe.arrived(undefined))
      for (const name of names) on(name, (event) => probe.arrived((event as MessageEvent).lastEventId))
    },
  }
}

/** What a connection shows the probe, in order. */
export interface Probe {
  /** A connection opened. */
  opened(): void
  /** Its `herald:hello` announced `heartbeatMs`; what arrives with it (a replay) is not judged. */
  hello(heartbeatMs: number): void
  /** An event with `id` arrived, or a ping (`undefined`). */
  arrived(id: string | undefined): void
  /** The connection dropped; the EventSource reconnects. */
  dropped(): void
}

/** One delivery: messages that arrived within `TOGETHER_MS` of one another. */
interface Delivery {
  last: number
  firstMs: number
  lastMs: number
  pings: number
  /** The hello's delivery, and a replay that comes with it. */
  skip: boolean
}

/** The checks behind `selfCheck`, on a clock (`performance.now` by default) of its own. */
export function createProbe(warn: (message: string) => void, now: () => number = () => performance.now()): Probe {
  let heartbeatMs = 0 // 0 until a Herald hello: other servers' ids and silences mean nothing here
  let connected = false
  let lastArrival = 0
  let delivery: Delivery | undefined
  const held: boolean[] = []
  let widest = 0
  let silences: number[] = []
  let batchedSaid = false
  let idleSaid = false

  const judge = ({ skip, firstMs, lastMs, pings }: Delivery) => {
    if (skip || batchedSaid) return
    const spread = Math.max(lastMs - firstMs, (pings - 1) * heartbeatMs)
    const burst = spread >= SPREAD_MS
    if (burst) widest = Math.max(widest, spread)
    held.push(burst)
    if (held.length > WINDOW) held.shift()
    if (held.filter(Boolean).length < BURSTS) return
    batchedSaid = true
    warn(
      `events arrive batched: ${BURSTS} of the last ${held.length} deliveries held messages sent up to ${widest} ms apart; something between server and client buffers the stream (response compression, a proxy's buffering)`,
    )
  }

  // `ms`: an event's emit time, 'ping', or undefined for the hello or an id of another shape.
  const arrive = (ms: number | 'ping' | undefined, skip: boolean) => {
    const at = now()
    lastArrival = at
    const current = delivery
    if (current !== undefined && !skip && at - current.last <= TOGETHER_MS) {
      current.last = at
      if (ms === 'ping') current.pings++
      else if (ms !== undefined) {
        current.firstMs = Math.min(current.firstMs, ms)
        current.lastMs = Math.max(current.lastMs, ms)
      }
      return
    }
    if (current !== undefined) judge(current)
    const sent = typeof ms === 'number' ? ms : undefined
    delivery = { last: at, firstMs: sent ?? Infinity, lastMs: sent ?? -Infinity, pings: ms === 'ping' ? 1 : 0, skip }
  }

  return {
    opened() {
      connected = true
      lastArrival = now()
    },
    hello(advertised) {
      heartbeatMs = Math.max(advertised, 0)
      arrive(undefined, true)
    },
    arrived(id) {
      if (heartbeatMs > 0) arrive(id === undefined ? 'ping' : msOf(id), false)
    },
    dropped() {
      if (delivery !== undefined) judge(delivery)
      delivery = undefined
      const wasOpen = connected
      connected = false
      if (!wasOpen || heartbeatMs === 0 || idleSaid) return
      const silence = Math.round(now() - lastArrival)
      // A cut after a longer silence is no idle timeout the heartbeat could beat, one right after a
      // message none at all: start over.
      const idle = silence >= MIN_IDLE_MS && silence < 2 * heartbeatMs
      silences = idle ? [...silences, silence].slice(-CUTS) : []
      if (silences.length < CUTS) return
      const low = Math.min(...silences)
      const high = Math.max(...silences)
      if (high - low > Math.max(CUT_SLACK_MS, low * CUT_TOLERANCE)) return
      idleSaid = true
      warn(
        `connections were cut ${CUTS} times in a row after ${low}-${high} ms without data, while a heartbeat of ${heartbeatMs} ms leaves a stream silent for up to ${2 * heartbeatMs} ms: something between server and client (a proxy's idle timeout of about ${low} ms?) cuts idle connections; set the channel's heartbeatMs below ${Math.floor(low / 2)} or raise that timeout`,
      )
    },
  }
}

/** The server's clock at emit, from an id `<epoch>-<ms>-<seq>` or `<ms>-<seq>`; else undefined. */
function msOf(id: string): number | undefined {
  const match = /(?:^|-)(\d{1,15})-\d+$/.exec(id)
  return match === null ? undefined : Number(match[1])
}
