// One timer for every stream of a channel, not one per stream: a channel with 10,000 streams
// keeps one timer, and a tick costs one look at each stream's `idle` flag.

/** What the heartbeat needs to know of a stream: whether anything was written since the last tick. */
export interface Idle {
  idle: boolean
}

/** Starts a repeating timer that calls `tick` every `ms` and does not keep the process alive; returns its stop. */
export type RepeatTimer = (ms: number, tick: () => void) => () => void

/** Options of `startHeartbeat`. */
export interface HeartbeatOptions<TStream extends Idle> {
  /** Milliseconds between ticks; 0 starts no timer. */
  everyMs: number
  /** The open streams, read at every tick. */
  streams: Iterable<TStream>
  /** Writes the keep-alive to a stream (which clears its `idle`). */
  ping: (stream: TStream) => void
  /** The timer. @default an unref'd `setInterval` */
  repeat?: RepeatTimer | undefined
}

/** An unref'd `setInterval`: an idle channel does not keep its process alive. */
const repeatEvery: RepeatTimer = (ms, tick) => {
  const timer = setInterval(tick, ms)
  // Deno and workers return a number, which has no unref: there, nothing waits on the timer anyway.
  ;(timer as { unref?: () => void }).unref?.()
  return () => clearInterval(timer)
}

/**
 * Pings each stream that got nothing since the previous tick, so proxies keep it open and the
 * client's watchdog sees it alive; a stream that got an event is left alone. Returns the stop.
 */
export function startHeartbeat<TStream extends Idle>(options: HeartbeatOptions<TStream>): () => void {
  const { everyMs, streams, ping } = options
  if (everyMs === 0) return () => {}
  return (options.repeat ?? repeatEvery)(everyMs, () => {
    for (const stream of streams) {
      if (stream.idle) ping(stream)
      stream.idle = true
    }
  })
}
