// The time logic of the shared client's tabs, without the DOM: the tab holding the connection
// shows it is alive, the others steal it when it has been silent too long, and a tab learns it was
// frozen. A frozen page runs no task, so the only sign is a timer that fires far later than due.

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
  /**
   * This tab was frozen: holding the connection, it stalled (called after `stall`); not holding it,
   * it ran nothing (no tick, no note from the holder) for more than `timeoutMs`.
   */
  woke(): void
  clock?: WatchClock | undefined
}

/** The watch of one tab; `heard`, `beat` and `mayRelay` are the signs of life it is told of. */
export interface LeaderWatch {
  /** A note came from the tab holding the connection. */
  heard(): void
  /** This tab, holding the connection, showed it is alive (relayed an event, or took over). */
  beat(): void
  /**
   * Whether this tab, holding the connection, may relay: `false`, after `stall` and `woke`, when
   * it has been silent longer than `timeoutMs` (another tab may have taken over meanwhile).
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
  const { timeoutMs, leading, beacon, steal, stall, woke, clock = globalClock } = options
  let heard = clock.now()
  let beat = heard
  /** When this tab last ran its watch: a tick, or a note from the holder. */
  let ran = heard
  // A tab that ran nothing for longer than the timeout was frozen (a hidden tab's timers are
  // throttled, but it still gets the holder's notes). Its first task then tells, tick or note.
  const frozen = (now: number) => timeoutMs !== 0 && now - ran > timeoutMs
  const wake = (now: number) => {
    heard = now
    woke()
  }

  // A holder silent that long may have been replaced: it stops before relaying anything more.
  const stalled = () => {
    const now = clock.now()
    if (timeoutMs === 0 || now - beat <= timeoutMs) return false
    // Said once per freeze: the late tick that follows is not another.
    ran = now
    stall()
    wake(now)
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
      wake(now)
    } else if (now - heard > timeoutMs) {
      heard = now
      steal()
    }
  }
  const handle = timeoutMs === 0 ? undefined : clock.setInterval(tick, timeoutMs / 3)

  return {
    heard() {
      const now = clock.now()
      const late = frozen(now)
      ran = now
      heard = now
      // Holding the connection (another tab took it over meanwhile), it learns so by stalling.
      if (late && !leading()) woke()
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
