// The test stream's state: every message read off the response, decoded with the contract and
// queued in order, and the waits on it (`next`, `control`, `ended`), each with its own deadline.
// Deadlines use node:timers, which vitest's and Jest's fake timers leave alone: a test that fakes
// time still fails after `timeoutMs` of real time instead of hanging until the runner's timeout.
import type { IncomingHttpHeaders } from 'node:http'
import { clearTimeout, setTimeout } from 'node:timers'
import {
  type AnyEvents,
  CONTROL_NAMES,
  type ControlName,
  type ControlPayloads,
  decodeControl,
  decodePayload,
  type EventName,
  HeraldError,
  type Payload,
  RESERVED_PREFIX,
  type Topic,
} from '@herald/schema'
import { MAX_DELAY_MS, wholeNumberOption } from './options.ts'
import type { SseMessage } from './testing-sse-reader.ts'

/** One event of the contract as a test stream received it: its name, decoded payload and id. */
export type TestEvent<TEvents extends AnyEvents> = {
  [TName in EventName<TEvents>]: {
    readonly name: TName
    readonly payload: Payload<TEvents, TName>
    /** The stream's last event id once it arrived: the event's `id:`. */
    readonly id: string
  }
}[EventName<TEvents>]

/** Options of each wait on a test stream. */
export interface WaitOptions {
  /** How long to wait, in real milliseconds (fake timers do not shorten it). @default the stream's `timeoutMs` */
  timeoutMs?: number | undefined
}

/** A stream opened by `connect`: what the server sent, and waits on what it sends next. */
export interface TestStream<TEvents extends AnyEvents> {
  /** The contract payloads are decoded with. */
  readonly events: TEvents
  /** The response's HTTP status. */
  readonly status: number
  /** The response's headers (`herald-refused` on a stream turned away). */
  readonly headers: IncomingHttpHeaders
  /** False once the server ended the response or `close()` was called. */
  readonly open: boolean
  /** The topics the stream joined, as the server's `herald:hello` said; [] without topics. */
  readonly topics: readonly Topic<TEvents>[]
  /** Each topic the server refused (`herald:refused`), with why, in order. */
  readonly refused: readonly ControlPayloads['herald:refused'][]
  /** Each `herald:gap` the server sent: events after `lastEventId` (of `topic`, if any) were missed. */
  readonly gaps: readonly ControlPayloads['herald:gap'][]
  /** The last event id received (control events carry ids too), what a client would resume from. */
  readonly lastEventId: string
  /** The last `retry:` the server sent, in milliseconds. */
  readonly retryMs: number | undefined
  /**
   * The next event of the contract, in the order sent, whatever its name. Rejects when none
   * arrives within the timeout or the stream ends first, and with the `HeraldError`
   * (`DECODE_FAILED`, `UNKNOWN_EVENT`) of an event the contract cannot read. Control events are
   * not events of the contract: read them with `control`.
   */
  next(options?: WaitOptions): Promise<TestEvent<TEvents>>
  /**
   * The payload of the next event, which must be `name`: rejects, naming what came instead, when
   * the next event is another (which stays next), and as `next()` does otherwise.
   */
  next<TName extends EventName<TEvents>>(name: TName, options?: WaitOptions): Promise<Payload<TEvents, TName>>
  /**
   * The next `name` control event's payload (`herald:hello`, `herald:ping`, `herald:gap`,
   * `herald:refused`, `herald:busy`): each is queued as it arrives and taken once, apart from the
   * events of the contract. Rejects on timeout, at the end of the stream, and with
   * `DECODE_FAILED` when its data is not what the protocol says.
   */
  control<TName extends ControlName>(name: TName, options?: WaitOptions): Promise<ControlPayloads[TName]>
  /** Resolves once the server has ended the response (at once if it has); rejects on timeout. */
  ended(options?: WaitOptions): Promise<void>
  /** Closes the connection, as a client going away does: the server sees its socket close. */
  close(): void
}

type Received = { readonly event: { name: string; payload: unknown; id: string }; readonly data: string } | HeraldError
type ControlReceived = { readonly payload: unknown } | HeraldError

/** What `connect` drives a test stream with. */
export interface TestStreamFeed<TEvents extends AnyEvents> {
  readonly stream: TestStream<TEvents>
  /** The response head arrived. */
  respond(status: number, headers: IncomingHttpHeaders): void
  message(message: SseMessage): void
  retry(ms: number): void
  /** The response ended, or the connection closed; `byTest` when `close()` did it. */
  end(byTest?: boolean): void
}

interface Waiter {
  /** Settles from what has arrived, if it can; true once settled. */
  settle(): boolean
}

/** Creates a test stream fed by `connect`; `closeTransport` tears its connection down. */
export function createTestStream<TEvents extends AnyEvents>(
  events: TEvents,
  timeoutMs: number,
  closeTransport: () => void,
): TestStreamFeed<TEvents> {
  const queue: Received[] = []
  const controls = new Map<string, ControlReceived[]>(CONTROL_NAMES.map((name) => [name, []]))
  const waiters = new Set<Waiter>()
  let status = 0
  let headers: IncomingHttpHeaders = {}
  let open = true
  let closedByTest = false
  let topics: readonly Topic<TEvents>[] = []
  const refused: ControlPayloads['herald:refused'][] = []
  const gaps: ControlPayloads['herald:gap'][] = []
  let lastEventId = ''
  let retryMs: number | undefined
  let count = 0
  let last = ''

  const wake = () => {
    for (const waiter of waiters) if (waiter.settle()) waiters.delete(waiter)
  }
  const endedWhy = () => (closedByTest ? 'the stream was closed by close()' : 'the server ended the stream')
  // What arrived, for a failure's message: the reader sees at once whether the event came late,
  // went elsewhere or was never sent.
  const history = () => {
    const hint = fakeTimers()
      ? '; fake timers are on: advance them (vi.advanceTimersByTimeAsync) for the server’s timers to fire'
      : ''
    if (count === 0) return `no event received${hint}`
    return `${count} event${count === 1 ? '' : 's'} received, the last ${last}${hint}`
  }

  /** Waits `options.timeoutMs` for `settle` to settle; `what` names the wait in failure messages. */
  function wait<T>(
    what: string,
    options: WaitOptions | undefined,
    attempt: (resolve: (value: T) => void, reject: (error: Error) => void) => boolean,
  ): Promise<T> {
    let ms: number
    try {
      ms = wholeNumberOption('timeoutMs', options?.timeoutMs, timeoutMs, MAX_DELAY_MS)
    } catch (error) {
      return Promise.reject(error)
    }
    return new Promise<T>((resolve, reject) => {
      let timer: ReturnType<typeof setTimeout> | undefined
      const done =
        <A>(fn: (arg: A) => void) =>
        (arg: A) => {
          if (timer !== undefined) clearTimeout(timer)
          fn(arg)
        }
      const waiter: Waiter = { settle: () => attempt(done(resolve), done(reject)) }
      if (waiter.settle()) return
      waiters.add(waiter)
      timer = setTimeout(() => {
        waiters.delete(waiter)
        reject(new Error(`${what}: nothing within ${ms} ms; ${history()}`))
      }, ms)
    })
  }

  const stream: TestStream<TEvents> = {
    events,
    get status() {
      return status
    },
    get headers() {
      return headers
    },
    get open() {
      return open
    },
    get topics() {
      return topics
    },
    refused,
    gaps,
    get lastEventId() {
      return lastEventId
    },
    get retryMs() {
      return retryMs
    },
    next(nameOrOptions?: string | WaitOptions, maybeOptions?: WaitOptions): Promise<never> {
      const name = typeof nameOrOptions === 'string' ? nameOrOptions : undefined
      if (name !== undefined && !events.specs.has(name)) {
        return Promise.reject(
          new HeraldError('UNKNOWN_EVENT', `next('${name}'): not an event of the contract`, { event: name }),
        )
      }
      const options = typeof nameOrOptions === 'string' ? maybeOptions : nameOrOptions
      const what = name === undefined ? 'next()' : `next('${name}')`
      return wait(what, options, (resolve, reject) => {
        const head = queue[0]
        if (head === undefined) {
          if (open) return false
          reject(new Error(`${what}: ${endedWhy()}; ${history()}`))
          return true
        }
        if (head instanceof HeraldError) {
          queue.shift()
          reject(head)
          return true
        }
        if (name !== undefined && head.event.name !== name) {
          // Left in place: the test may go on to read it.
          reject(new Error(`${what}: the next event is ${describe(head.event.name, head.event.id, head.data)}`))
          return true
        }
        queue.shift()
        resolve((name === undefined ? head.event : head.event.payload) as never)
        return true
      })
    },
    control<TName extends ControlName>(name: TName, options?: WaitOptions) {
      const received = controls.get(name)
      if (received === undefined) {
        return Promise.reject(new HeraldError('UNKNOWN_EVENT', `control('${name}'): not a control event of Herald's`))
      }
      return wait<ControlPayloads[TName]>(`control('${name}')`, options, (resolve, reject) => {
        const head = received.shift()
        if (head === undefined) {
          if (open) return false
          reject(new Error(`control('${name}'): ${endedWhy()}; ${history()}`))
        } else if (head instanceof HeraldError) reject(head)
        else resolve(head.payload as ControlPayloads[TName])
        return true
      })
    },
    ended(options) {
      return wait<void>('ended()', options, (resolve) => {
        if (open) return false
        resolve()
        return true
      })
    },
    close() {
      if (!open) return
      closeTransport()
      feed.end(true)
    },
  }

  const onControl = (name: ControlName, data: string) => {
    const payload = decodeControl(name, data)
    const received = controls.get(name) as ControlReceived[]
    if (payload === undefined) {
      received.push(new HeraldError('DECODE_FAILED', `event '${name}': not what Herald's protocol says: ${clip(data)}`))
      return
    }
    received.push({ payload })
    if (name === 'herald:hello') topics = ((payload as ControlPayloads['herald:hello']).topics ?? []) as never
    else if (name === 'herald:refused') refused.push(payload as ControlPayloads['herald:refused'])
    else if (name === 'herald:gap') gaps.push(payload as ControlPayloads['herald:gap'])
  }

  const feed: TestStreamFeed<TEvents> = {
    stream,
    respond(code, head) {
      status = code
      headers = head
    },
    message({ name, data, lastEventId: id }) {
      if (!open) return
      lastEventId = id
      if (name.startsWith(RESERVED_PREFIX)) {
        // A control event this version does not know (a newer server's) is skipped, as clients do.
        if ((CONTROL_NAMES as readonly string[]).includes(name)) onControl(name as ControlName, data)
      } else {
        count += 1
        last = describe(name, id, data)
        if (!events.specs.has(name)) {
          queue.push(
            new HeraldError('UNKNOWN_EVENT', `event '${name}' (id ${id}): not in the event map`, { event: name }),
          )
        } else {
          try {
            queue.push({ event: { name, payload: decodePayload(events, name, data), id }, data })
          } catch (error) {
            queue.push(error as HeraldError)
          }
        }
      }
      wake()
    },
    retry(ms) {
      retryMs = ms
    },
    end(byTest = false) {
      if (!open) return
      open = false
      closedByTest = byTest
      wake()
    },
  }
  return feed
}

// Raw data, cut short and on one line.
const clip = (data: string) => (data.length > 80 ? `${data.slice(0, 80)}…` : data).replaceAll('\n', '\\n')

const describe = (name: string, id: string, data: string) =>
  `'${name}' (id ${id === '' ? 'none' : id}, data: ${clip(data)})`

/** Whether the global timers are sinon's fakes (vitest's and Jest's `useFakeTimers`). */
function fakeTimers(): boolean {
  return typeof (globalThis.setTimeout as { clock?: unknown }).clock === 'object'
}
