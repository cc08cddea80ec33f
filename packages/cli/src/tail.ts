import { type AnyEvents, createClient, HeraldError, type HeraldErrorCode, type Topic } from '@herald/client'
import type { TailArguments } from './args.ts'
import { createOutput, type TextStream } from './output.ts'
import {
  createPaint,
  errorLine,
  jsonLine,
  type LineState,
  prettyLine,
  shownUrl,
  statusLine,
  wantsColor,
} from './render.ts'

/** What `tail` writes to and reads from, besides its arguments. */
export interface TailIo {
  readonly stdout: TextStream
  readonly stderr: TextStream
  /** Read for `NO_COLOR` and `FORCE_COLOR`. */
  readonly env: NodeJS.ProcessEnv
  /** Ends the tail with exit code 0 when aborted: Ctrl-C, SIGTERM, a closed stdout. */
  readonly signal: AbortSignal
  /** The time an event arrived. @default () => new Date() */
  readonly now?: (() => Date) | undefined
}

/** The errors `--strict` exits on: a payload its schema refuses, an event outside the contract. */
const STRICT: ReadonlySet<HeraldErrorCode> = new Set(['DECODE_FAILED', 'UNKNOWN_EVENT'])

/** Names are padded to the longest one shown, up to this many characters. */
const MAX_NAME_WIDTH = 20

/**
 * Connects to the stream and prints its events until `io.signal` aborts (resolving 0), the server
 * ends the stream (0), refuses it (1, `CONNECTION_FAILED`), or, with `--strict`, a payload fails
 * validation or an event is outside the contract (1). Throws `UNKNOWN_EVENT` for an `--event` not
 * in the contract, and what `createClient` throws for bad options or topics (`INVALID_TOPIC`).
 */
export async function tail(events: AnyEvents, args: TailArguments, io: TailIo): Promise<number> {
  const only = new Set(args.eventNames)
  for (const name of only) {
    if (!events.specs.has(name)) {
      const known = events.names.join(', ')
      throw new HeraldError('UNKNOWN_EVENT', `--event ${name}: not in the contract (its events: ${known})`, {
        event: name,
      })
    }
  }
  const now = io.now ?? (() => new Date())
  const colorOut = wantsColor(args.color, io.stdout, io.env)
  const paintOut = createPaint(colorOut)
  const paintErr = createPaint(wantsColor(args.color, io.stderr, io.env))
  const output = createOutput(io.stdout, io.stderr)
  const url = shownUrl(args.url)
  const client = createClient(events, args.url, {
    // Always Herald's EventSource, even without headers (a Node with a native one would use that):
    // it shows the client every message, so events outside the contract are reported, not unseen.
    headers: { ...args.headers },
    topics: args.topics as readonly Topic<AnyEvents>[],
    lastEventId: args.lastEventId,
  })
  const shown = only.size > 0 ? [...only] : events.names
  const nameWidth = Math.min(MAX_NAME_WIDTH, Math.max(0, ...shown.map((name) => name.length)))
  let state: LineState = 'connecting'
  let count = 0
  const statusText = () => statusLine(state, url, client.lastEventId, count, paintErr)
  const refresh = () => output.status(statusText())
  refresh()

  return new Promise<number>((resolve) => {
    let done = false
    const finish = (code: number) => {
      if (done) return
      done = true
      io.signal.removeEventListener('abort', stop)
      client.close()
      state = 'closed'
      refresh()
      output.end()
      resolve(code)
    }
    const stop = () => finish(0)
    io.signal.addEventListener('abort', stop, { once: true })

    for (const name of shown) {
      client.on(name, (payload, meta) => {
        count += 1
        const event = { name, id: meta.lastEventId, payload, at: now() }
        const line = args.json ? jsonLine(event) : prettyLine(event, paintOut, colorOut, nameWidth)
        // On a terminal the connection line counts the events; elsewhere it changes only with the state.
        output.out(line, output.live ? statusText() : undefined)
      })
    }
    client.onError((error) => {
      if (done) return
      // Events left out by --event are not decoded, and not reported when outside the contract.
      if (only.size > 0 && error.event !== undefined && !only.has(error.event)) return
      output.err(errorLine(error, paintErr, now()))
      if (error.code === 'CONNECTION_FAILED' || (args.strict && STRICT.has(error.code))) finish(1)
    })
    client.onState((next) => {
      if (done) return
      state = next
      refresh()
      // Closed by the client itself: the server ended the stream (HTTP 204).
      if (next === 'closed') finish(0)
    })
    if (io.signal.aborted) finish(0)
  })
}
