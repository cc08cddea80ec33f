// The one blocking reader per process: XREAD on the log from its cursor, on its own connection,
// each entry decoded once and handed to the engine's subscribers. It never gives up: on an error
// it waits (backing off) and reads again from the same cursor, so nothing Redis kept is lost, and
// before reading again it checks the epoch, in case Redis came back empty.
import type { RedisEngineConnection } from './client.ts'
import { type Entry, readEntries } from './entries.ts'

/** The part of the log's state the loop reads and moves. */
export interface LoopState {
  /** The epoch whose entries are delivered. */
  readonly epoch: string
  /** The newest position delivered; the next XREAD starts after it. */
  cursor: string
  /** The number the publish script gave the newest entry read (`q`), once one was read. */
  counted?: number | undefined
}

/** What the read loop needs from its engine. */
export interface ReadLoopOptions {
  /** The engine's own connection. */
  reader: RedisEngineConnection
  /** The log's key. */
  log: string
  /** XREAD BLOCK, in milliseconds. */
  blockMs: number
  /** The state now; a new object whenever the epoch changes. */
  state(): LoopState
  /** Reads the epoch again (creating one if Redis lost it); true when it changed. */
  refresh(): Promise<boolean>
  /** Delivers entries of the current epoch, in order; the loop moved the cursor past them already. */
  deliver(state: LoopState, entries: readonly Entry[]): void
  /** Entries after the cursor were trimmed before the loop read them: they are lost to it. */
  lost(): void
  /** Told after every successful read, and of every failure. */
  up(): void
  down(error: unknown): void
  /** True once the engine is closed: the loop ends. */
  closed(): boolean
}

/** Entries read per XREAD. */
const COUNT = '1000'

/** Runs the loop until the engine closes; never rejects. */
export async function runReadLoop(options: ReadLoopOptions): Promise<void> {
  const { reader } = options
  let failures = 0
  let check = false // whether the epoch must be read again before the next XREAD
  while (!options.closed()) {
    try {
      if (check) {
        // Back after a failure: the connection answers, and the epoch is known, before the loop
        // counts as up again (the XREAD itself may block for blockMs).
        await reader.sendCommand(['PING'])
        await options.refresh()
        check = false
        options.up()
      }
      const state = options.state()
      const reply = await reader.sendCommand([
        'XREAD',
        'COUNT',
        COUNT,
        'BLOCK',
        String(options.blockMs),
        'STREAMS',
        options.log,
        state.cursor,
      ])
      if (options.closed()) return
      options.up()
      failures = 0
      // The epoch changed while the read was pending: its cursor is stale, read again.
      if (state !== options.state()) continue
      const entries = readEntries(reply)
      const batch: Entry[] = []
      for (const entry of entries) {
        if (entry.fields['e'] !== state.epoch) {
          // An entry of another epoch: either Redis lost the log and another process began a new
          // epoch (switch to it, from its start), or a stale one of an older epoch (skip it).
          flush(options, state, batch)
          if (await options.refresh()) break
          if (state !== options.state()) break
        } else {
          // Entries are numbered without gaps: a jump means the log was trimmed past the cursor
          // while this loop was behind (a stall, a partition). Deliver what came before, then say so.
          const counted = Number(entry.fields['q'])
          if (state.counted !== undefined && counted > state.counted + 1) {
            flush(options, state, batch)
            options.lost()
          }
          if (Number.isSafeInteger(counted)) state.counted = counted
          batch.push(entry)
        }
        state.cursor = entry.id
      }
      flush(options, state, batch)
    } catch (error) {
      if (options.closed()) return
      options.down(error)
      check = true
      failures += 1
      // 50 ms, doubling to 2 s, with jitter so processes don't come back in step.
      const delay = Math.min(50 * 2 ** (failures - 1), 2000) * (0.5 + Math.random() / 2)
      await new Promise((resolve) => setTimeout(resolve, delay))
      // A client that does not reconnect by itself (reconnectStrategy: false) is reopened here.
      if (!reader.isOpen && !options.closed()) await reader.connect().catch(() => {})
    }
  }
}

function flush(options: ReadLoopOptions, state: LoopState, batch: Entry[]): void {
  if (batch.length === 0) return
  options.deliver(state, batch.splice(0))
}
