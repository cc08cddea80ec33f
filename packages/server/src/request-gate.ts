// Which requests get a stream. handle() asks the gate first: a request that cannot get one is
// answered here (closed socket, pipelined request, method, closed channel, connection limits,
// replay budget), and one that can is counted until its stream ends.
import type { Admission } from './admission.ts'
import { gone, streamHeaders } from './connection.ts'
import type { ExchangeRequest, ExchangeResponse } from './exchange.ts'
import { jitter } from './format.ts'
import { MAX_DELAY_MS } from './options.ts'
import type { ReplayBudget } from './replay-budget.ts'
import { claim, release as releaseSocket, socketOf, unusable } from './stream-socket.ts'
import { turnAwayBusy, turnAwayClosed } from './turn-away.ts'

/** What the gate checks a request against. */
export interface RequestGateOptions {
  admission: Admission
  replays: ReplayBudget
  /** The base `retry:` given to requests a closed channel turns away. */
  retryMs: number
  /** The base `retry:` given to requests turned away at a limit. */
  busyRetryMs: number
  /** Whether the channel is closed. */
  closed: () => boolean
  /** Whether the engine can serve now; a new stream is turned away busy while it cannot. */
  available?: (() => boolean) | undefined
}

/** A request that may open a stream. */
export interface Admitted {
  /** Its client key, which its replays are charged to. */
  readonly key: string
  /** The id its client resumes from (`Last-Event-ID`, or the `lastEventId` query parameter), if any. */
  readonly lastEventId: string | undefined
}

/** The checks in front of every stream. */
export interface RequestGate {
  /**
   * Answers a request that gets no stream and returns `undefined`. Otherwise admits it: its slot
   * is held until the stream ends, when `onEnd` runs once.
   */
  admit(req: ExchangeRequest, res: ExchangeResponse, onEnd: () => void): Admitted | undefined
}

/** Creates the gate of a channel. */
export function createRequestGate(options: RequestGateOptions): RequestGate {
  const { admission, replays } = options
  return {
    admit(req, res, onEnd) {
      // A client that left while earlier middleware was busy: its 'close' has already gone by,
      // so a connection opened now would never be released.
      if (gone(res)) return undefined
      const socket = socketOf(req)
      if (socket !== undefined && unusable(socket)) {
        // Closed, or a request pipelined behind a stream: its answer could only follow the
        // stream's end, so it would wait forever. Nothing can be sent to it in order, so the
        // socket is closed (ending its stream too: no EventSource pipelines, only a hostile client).
        if (!socket.destroyed) socket.destroy()
        return undefined
      }
      if (req.method !== 'GET') {
        // HEAD gets the headers of a stream and no stream; a body would never be sent anyway.
        if (req.method === 'HEAD') res.writeHead(200, streamHeaders(req))
        else res.writeHead(405, { allow: 'GET, HEAD' })
        res.end()
        return undefined
      }
      if (options.closed()) {
        turnAwayClosed(res, jitter(options.retryMs))
        return undefined
      }
      const header = req.headers['last-event-id']
      const raw = (Array.isArray(header) ? header[0] : header) ?? queryLastEventId(req.url)
      const lastEventId = raw === '' ? undefined : raw
      if (options.available?.() === false) {
        turnAwayBusy(res, jitter(options.busyRetryMs))
        return undefined
      }
      const key = admission.admit(req)
      // A client that spent its replay budget comes back later with the same Last-Event-ID: it
      // misses nothing, and its replays cost at most the budget per window.
      const spent = key !== undefined && lastEventId !== undefined && !replays.allows(key)
      if (key === undefined || spent) {
        if (spent) admission.release(key)
        const wait = Math.max(options.busyRetryMs, spent ? replays.waitMs(key) : 0)
        turnAwayBusy(res, jitter(Math.min(wait, Math.floor(MAX_DELAY_MS / 2))))
        return undefined
      }
      // Counted from here on: whatever happens next, the slot is freed when the stream ends. That
      // is the response's 'close', or its socket's: a response Node queued never emits 'close'.
      let open = true
      const release = () => {
        if (!open) return
        open = false
        if (socket !== undefined) {
          socket.off('close', release)
          releaseSocket(socket)
        }
        onEnd()
        admission.release(key)
      }
      res.once('close', release)
      if (socket !== undefined) {
        claim(socket)
        socket.once('close', release)
      }
      return { key, lastEventId }
    },
  }
}

/** The `lastEventId` query parameter of a request target; never throws, whatever the target. */
function queryLastEventId(url: string | undefined): string | undefined {
  const query = url?.indexOf('?') ?? -1
  if (query === -1 || !url?.includes('lastEventId=')) return undefined
  return new URLSearchParams(url.slice(query + 1)).get('lastEventId') ?? undefined
}
