import { type Connection, write } from './connection.ts'

/** Writes to live streams, cutting off one that queues more than its share of unsent bytes. */
export interface BufferLimit {
  /** Writes one block (as the ready-made `chunk` when the connection takes raw chunks). */
  send(connection: Connection, frame: Buffer, chunk?: Buffer): void
  /** Forgets a connection that has ended. */
  forget(connection: Connection): void
}

/**
 * Creates the writer behind `maxBufferedBytes`. A stream with more than `maxBufferedBytes` unsent
 * is cut, but only if it is still over after the event loop had a turn to hand the bytes to the
 * kernel: one burst larger than the bound does not cut readers that keep up. The cut stream's
 * client resumes from history when it reconnects.
 */
export function createBufferLimit(maxBufferedBytes: number): BufferLimit {
  const overflowing = new Set<Connection>()
  const sweep = () => {
    for (const connection of overflowing) {
      if (connection.res.writableLength > maxBufferedBytes) connection.res.destroy()
    }
    overflowing.clear()
  }
  return {
    send(connection, frame, chunk) {
      // The hot path: a socket that takes the bytes needs no further look.
      if (write(connection, frame, chunk) || overflowing.has(connection)) return
      if (connection.res.writableLength <= maxBufferedBytes) return
      // A timer, not setImmediate: edge runtimes (Next.js's) have none, or one that throws.
      if (overflowing.size === 0) setTimeout(sweep, 0)
      overflowing.add(connection)
    },
    forget(connection) {
      overflowing.delete(connection)
    },
  }
}
