// The topic benchmark's load generator: like `loadgen.ts`, raw HTTP/1.1 connections read into one
// shared buffer and counted by `stream-counter.ts`, but each connection asks for its own topic
// (`?topic=`) and expects its own events (topic-plan.ts): each has its own tally. For a targeted
// plan it also reads each event's `pad`, which names the topic the event was sent to, so an event
// of another topic is counted as foreign even when its sequence number looks like one of ours.
import { connect, type Socket } from 'node:net'
import { createHistogram } from './histogram.ts'
import { nowMicros } from './payload.ts'
import { serveRpc } from './rpc.ts'
import { createStreamCounter, type StreamCounter, type Tally } from './stream-counter.ts'
import type { TopicConnectCommand, TopicIntegrity, TopicLoadgenApi, TopicLoadResult } from './topic-api.ts'
import { BROADCAST_PAD, drawTargets, expectedFor, padOf, topicOf } from './topic-plan.ts'

interface Connection {
  readonly index: number
  readonly socket: Socket
  readonly counter: StreamCounter
  readonly tally: Tally
  /** The pad every event of this connection must carry, when the plan is targeted. */
  pad: Buffer | undefined
  /** Bytes after the last pad checked, kept for the next read (a pad may be cut by a read). */
  tail: Buffer | undefined
  foreign: number
  open: boolean
}

const connections: Connection[] = []
const latency = createHistogram() // every tally wants one; latency is not what this bench reports
let failed = 0
let openCount = 0
let closedSinceExpect = 0
let complete = 0
let lastMicros = 0
let waiter: (() => void) | undefined
let cpuFrom = process.cpuUsage()
let wallFrom = nowMicros()

const READ_BUFFER = Buffer.alloc(256 * 1024)
const PAD_KEY = Buffer.from('"pad":"')
const QUOTE = 0x22
// The longest stretch that may hold the start of a pad not yet complete: key, value, quote.
const KEEP = PAD_KEY.length + BROADCAST_PAD.length + 1

/** Counts the pads in `chunk` (after the connection's tail) that are not the connection's own. */
function checkPads(connection: Connection, chunk: Buffer): void {
  const own = connection.pad as Buffer
  const data = connection.tail === undefined ? chunk : Buffer.concat([connection.tail, chunk])
  let scanned = 0
  let at = data.indexOf(PAD_KEY)
  while (at !== -1) {
    const start = at + PAD_KEY.length
    const end = data.indexOf(QUOTE, start)
    if (end === -1) break
    if (end - start !== own.length || own.compare(data, start, end) !== 0) connection.foreign++
    scanned = end + 1
    at = data.indexOf(PAD_KEY, scanned)
  }
  const keepFrom = Math.max(scanned, data.length - KEEP)
  connection.tail = keepFrom < data.length ? Buffer.from(data.subarray(keepFrom)) : undefined
}

function openOne(command: TopicConnectCommand, index: number): Promise<void> {
  return new Promise((resolve) => {
    const tally: Tally = {
      expected: 0,
      warmup: Number.POSITIVE_INFINITY,
      latency,
      complete: 0,
      lastMicros: 0,
      onComplete() {
        complete++
        lastMicros = tally.lastMicros
        waiter?.()
      },
    }
    const topic = topicOf(command.layout, index)
    const path = topic === undefined ? command.path : `${command.path}?topic=${encodeURIComponent(topic)}`
    const socket = connect({
      host: '127.0.0.1',
      port: command.port,
      onread: {
        buffer: READ_BUFFER,
        callback(bytes) {
          const chunk = READ_BUFFER.subarray(0, bytes)
          if (connection.pad !== undefined) checkPads(connection, chunk)
          connection.counter.push(chunk, nowMicros())
          return true
        },
      },
    })
    const connection: Connection = {
      index,
      socket,
      counter: createStreamCounter(tally),
      tally,
      pad: undefined,
      tail: undefined,
      foreign: 0,
      open: false,
    }
    let settled = false
    const settle = () => {
      if (settled) return
      settled = true
      socket.setTimeout(0)
      if (connection.open) connections.push(connection)
      else failed++
      resolve()
    }
    socket.once('connect', () => {
      connection.open = true
      openCount++
      socket.write(
        `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${command.port}\r\nAccept: text/event-stream\r\nCache-Control: no-cache\r\n\r\n`,
      )
      settle()
    })
    socket.on('error', () => {}) // 'close' follows and says what happened
    socket.on('close', () => {
      if (connection.open) {
        connection.open = false
        openCount--
        closedSinceExpect++
        waiter?.() // the wait can end early: this connection will never complete
      }
      settle()
    })
    socket.setTimeout(command.timeoutMs, () => socket.destroy())
  })
}

/** Opens `count` more connections, numbered on from those already open, `concurrency` at a time. */
async function openMany(command: TopicConnectCommand) {
  const started = Date.now()
  const first = connections.length + failed
  let next = 0
  const worker = async () => {
    while (next < command.count) await openOne(command, first + next++)
  }
  await Promise.all(Array.from({ length: Math.min(command.concurrency, command.count) }, worker))
  return { open: openCount, failed, ms: Date.now() - started }
}

function loadResult(timedOut: boolean): TopicLoadResult {
  const cpu = process.cpuUsage(cpuFrom)
  let delivered = 0
  let expected = 0
  for (const { counter, tally } of connections) {
    delivered += Math.min(counter.distinct, tally.expected)
    expected += tally.expected
  }
  return {
    connections: connections.length,
    complete,
    delivered,
    expected,
    timedOut,
    lastMicros,
    cpuMicros: cpu.user + cpu.system,
    wallMicros: (complete === connections.length ? lastMicros : nowMicros()) - wallFrom,
  }
}

function integrity(): TopicIntegrity {
  const sum: TopicIntegrity = {
    connections: connections.length,
    exact: 0,
    lost: 0,
    duplicated: 0,
    reordered: 0,
    unexpected: 0,
    foreign: 0,
    closed: closedSinceExpect,
    badStatus: 0,
  }
  for (const { counter, tally, foreign } of connections) {
    const lost = tally.expected - counter.distinct
    const bad = counter.status !== 200
    sum.lost += lost
    sum.duplicated += counter.duplicated
    sum.reordered += counter.reordered
    sum.unexpected += counter.unexpected
    sum.foreign += foreign
    if (bad) sum.badStatus++
    const wrong = lost + counter.duplicated + counter.reordered + counter.unexpected + foreign
    if (wrong === 0 && !bad) sum.exact++
  }
  return sum
}

serveRpc<TopicLoadgenApi>(
  {
    connect: (command) => openMany(command),
    expect({ plan, layout }) {
      const targets = plan.mode === 'targeted' ? drawTargets(plan, layout.topics) : undefined
      complete = 0
      lastMicros = 0
      closedSinceExpect = 0
      for (const connection of connections) {
        const { tally } = connection
        tally.expected = expectedFor(layout, plan, targets, connection.index)
        tally.complete = 0
        connection.counter.reset()
        connection.foreign = 0
        connection.tail = undefined
        const topic = topicOf(layout, connection.index)
        connection.pad = targets === undefined || topic === undefined ? undefined : Buffer.from(padOf(topic))
        // A connection none of whose topic's events were drawn has all it should have already.
        if (tally.expected === 0) complete++
      }
      cpuFrom = process.cpuUsage()
      wallFrom = nowMicros()
      return null
    },
    wait: ({ timeoutMs }) =>
      new Promise<TopicLoadResult>((resolve) => {
        const finish = (timedOut: boolean) => {
          clearTimeout(timer)
          waiter = undefined
          resolve(loadResult(timedOut))
        }
        const timer = setTimeout(() => finish(true), timeoutMs)
        waiter = () => {
          if (complete >= openCount) finish(false)
        }
        waiter()
      }),
    check: () => integrity(),
    exit() {
      setImmediate(() => process.exit(0))
      return null
    },
  },
  { pid: process.pid },
)
