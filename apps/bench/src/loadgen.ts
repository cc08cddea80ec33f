// The load generator: a process of its own that opens raw HTTP/1.1 connections (node:net sockets
// with a hand-written GET), counts every connection's events with `stream-counter.ts`, and reports
// loss, duplicates, reordering, latency and its own CPU time, so we can check it is not the
// bottleneck.
import { connect, type Socket } from 'node:net'
import type { ConnectCommand, ConnectResult, LoadgenApi, LoadResult } from './api.ts'
import { createHistogram } from './histogram.ts'
import { nowMicros } from './payload.ts'
import { serveRpc } from './rpc.ts'
import { createStreamCounter, type StreamCounter, type Tally } from './stream-counter.ts'

interface Connection {
  readonly socket: Socket
  readonly counter: StreamCounter
  open: boolean
}

const connections: Connection[] = []
let failed = 0
let openCount = 0
let closedSinceExpect = 0
let markMicros = Number.POSITIVE_INFINITY
let waiter: (() => void) | undefined
let cpuFrom = process.cpuUsage()
let wallFrom = nowMicros()

const tally: Tally = {
  expected: 0,
  warmup: 0,
  latency: createHistogram(),
  complete: 0,
  lastMicros: 0,
  onComplete() {
    waiter?.()
  },
}

// Every socket reads into this one buffer (`onread`), so a read allocates nothing; the counter
// handles each read synchronously and copies the little it keeps (an unfinished line).
const READ_BUFFER = Buffer.alloc(256 * 1024)

function openOne(command: ConnectCommand): Promise<void> {
  return new Promise((resolve) => {
    const counter = createStreamCounter(tally)
    const socket = connect({
      host: '127.0.0.1',
      port: command.port,
      onread: {
        buffer: READ_BUFFER,
        callback(bytes) {
          counter.push(READ_BUFFER.subarray(0, bytes), nowMicros())
          return true
        },
      },
    })
    const connection: Connection = { socket, counter, open: false }
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
        `GET ${command.path} HTTP/1.1\r\nHost: 127.0.0.1:${command.port}\r\nAccept: text/event-stream\r\nCache-Control: no-cache\r\n\r\n`,
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

/** Opens `count` more connections, at most `concurrency` connecting at once. */
async function openMany(command: ConnectCommand): Promise<ConnectResult> {
  const started = Date.now()
  let next = 0
  const worker = async () => {
    while (next < command.count) {
      next++
      await openOne(command)
    }
  }
  await Promise.all(Array.from({ length: Math.min(command.concurrency, command.count) }, worker))
  return { open: openCount, failed, ms: Date.now() - started }
}

function result(timedOut: boolean): LoadResult {
  const cpu = process.cpuUsage(cpuFrom)
  let delivered = 0
  let duplicated = 0
  let reordered = 0
  let unexpected = 0
  let bytes = 0
  let badStatus = 0
  for (const { counter } of connections) {
    delivered += counter.distinct
    duplicated += counter.duplicated
    reordered += counter.reordered
    unexpected += counter.unexpected
    bytes += counter.bytes
    if (counter.status !== 200) badStatus++
  }
  const expected = tally.expected * connections.length
  const { latency } = tally
  return {
    connections: connections.length,
    complete: tally.complete,
    delivered,
    expected,
    lost: expected - delivered,
    duplicated,
    reordered,
    unexpected,
    closed: closedSinceExpect,
    badStatus,
    timedOut,
    latency: {
      count: latency.count,
      p50: latency.percentile(50),
      p95: latency.percentile(95),
      p99: latency.percentile(99),
      max: latency.max,
    },
    lastMicros: tally.lastMicros,
    cpuMicros: cpu.user + cpu.system,
    wallMicros: (tally.complete === connections.length ? tally.lastMicros : nowMicros()) - wallFrom,
    bytes,
  }
}

serveRpc<LoadgenApi>(
  {
    connect: (command) => openMany(command),
    expect({ count, warmup }) {
      tally.expected = count
      tally.warmup = warmup
      tally.complete = 0
      tally.lastMicros = 0
      tally.latency.reset()
      closedSinceExpect = 0
      for (const { counter } of connections) counter.reset()
      cpuFrom = process.cpuUsage()
      wallFrom = nowMicros()
      return null
    },
    wait: ({ timeoutMs }) =>
      new Promise<LoadResult>((resolve) => {
        const finish = (timedOut: boolean) => {
          clearTimeout(timer)
          waiter = undefined
          resolve(result(timedOut))
        }
        const timer = setTimeout(() => finish(true), timeoutMs)
        waiter = () => {
          if (tally.complete >= openCount) finish(false)
        }
        waiter()
      }),
    mark() {
      markMicros = nowMicros()
      return null
    },
    alive() {
      let open = 0
      let receivedSinceMark = 0
      for (const connection of connections) {
        if (connection.open) open++
        if (connection.counter.lastReceived >= markMicros) receivedSinceMark++
      }
      return { open, receivedSinceMark }
    },
    exit() {
      setImmediate(() => process.exit(0))
      return null
    },
  },
  { pid: process.pid },
)
