// The time logic of the shared client's tabs, without the DOM: the tab holding the connection
// shows it is alive, and the others steal it when it has been silent too long. A frozen page runs
// no task, so the only sign of a freeze is a timer that fires far later than due: a holder that
// was frozen steps down, a tab that was frozen waits before judging the holder. (What a frozen tab
// missed, it learns from the holder's numbered notes: note-sequence.ts.)

/** The clock a leader watch reads and schedules with. @default the global `Date.now` and `setInterval` */
export interface WatchClock {
  now(): number
  setInterval(run: () => void, ms: number): unknown
  clearInterval(handle: unknown): void
}

/** Options of `createLeaderWatch`: the timeout and what to do when time says so. */
export interface LeaderWatchOptions {
  /** How long the other tabs wait without a word from the holder before stealing; `0` never steals. */
  timeoutMs: number
  /** Whether this tab holds the connection now. */
  leading(): boolean
  /** The holder shows it is alive (every third of `timeoutMs` while it is not stalled). */
  beacon(): void
  /** A tab not holding the connection has heard nothing from the holder for `timeoutMs`. */
  steal(): void
  /** The holder has been silent longer than `timeoutMs` (it was frozen): it must step down. */
  stall(): void
  clock?: WatchClock | undefined
}

/** The watch of one tab; `heard`, `beat` and `mayRelay` are the signs of life it is told of. */
export interface LeaderWatch {
  /** A note came from the tab holding the connection. */
  heard(): void
  /** This tab, holding the connection, showed it is alive (relayed an event, or took over). */
  beat(): void
  /**
   * Whether this tab, holding the connection, may relay: `false`, after `stall`, when it has been silent longer than `timeoutMs` (another tab may have taken over meanwhile).
   */
  mayRelay(): boolean
  /** Stops the timer. */
  stop(): void
}

const globalClock: WatchClock = {
  now: () => Date.now(),
  setInterval: (run, ms) => setInterval(run, ms),
  clearInterval: (handle) => clearInterval(handle as ReturnType<typeof setInterval>),
}

/** Starts a tab's watch: a timer every third of `timeoutMs` (none when it is 0). */
export function createLeaderWatch(options: LeaderWatchOptions): LeaderWatch {
  const { timeoutMs, leading, beacon, steal, stall, clock = globalClock } = options
  let heard = clock.now()
  let beat = heard
  /** When this tab last ran its watch: a tick, or a note from the holder. */
  let ran = heard
  // A tab that ran nothing for longer than the timeout was frozen (a hidden tab's timers are
  // throttled, but it still gets the holder's notes): its own silence is no sign of the holder's.
  const frozen = (now: number) => timeoutMs !== 0 && now - ran > timeoutMs

  // A holder silent that long may have been replaced: it stops before relaying anything more.
  const stalled = () => {
    const now = clock.now()
    if (timeoutMs === 0 || now - beat <= timeoutMs) return false
    // Said once per freeze: the late tick that follows is not another. It then waits a whole
    // timeout for the new holder before judging it.
    ran = now
    heard = now
    stall()
    return true
  }

  const tick = () => {
    const now = clock.now()
    const late = frozen(now)
    ran = now
    if (leading()) {
      if (stalled()) return
      beat = now
      beacon()
    } else if (late) {
      // This tab slept, not (as far as it knows) the holder: it hears from it again before judging.
      heard = now
    } else if (now - heard > timeoutMs) {
      heard = now
      steal()
    }
  }
  const handle = timeoutMs === 0 ? undefined : clock.setInterval(tick, timeoutMs / 3)

  return {
    heard() {
      ran = heard = clock.now()
    },
    beat() {
      beat = clock.now()
    },
    mayRelay: () => !stalled(),
    stop() {
      if (handle !== undefined) clock.clearInterval(handle)
    },
  }
}
