// How every server emits, so emitting costs the same everywhere: a tight loop in batches with a
// `setImmediate` between batches (sockets flush and I/O runs), or a fixed rate on a drift-free
// timer. Either way events are numbered 1..count.
import type { EmitCommand } from './api.ts'
import { nowMicros } from './payload.ts'

/** Calls `emitOne(seq)` for seq = 1..count as `command` says, then `done()`. */
export function runEmitSchedule(command: EmitCommand, emitOne: (seq: number) => void, done: () => void): void {
  const { count, rate } = command
  const batch = Math.max(1, command.batch)
  let seq = 0
  if (rate <= 0) {
    const burst = () => {
      const end = Math.min(count, seq + batch)
      while (seq < end) emitOne(++seq)
      if (seq < count) setImmediate(burst)
      else done()
    }
    burst()
    return
  }
  // Event n is due at start + (n - 1) / rate; a late timer catches up at once rather than drifting.
  const start = nowMicros()
  const interval = 1e6 / rate
  const tick = () => {
    const now = nowMicros()
    while (seq < count && start + seq * interval <= now) emitOne(++seq)
    if (seq >= count) return done()
    setTimeout(tick, Math.max(0, (start + seq * interval - nowMicros()) / 1000))
  }
  tick()
}
