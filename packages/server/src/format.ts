// SSE framing. Every function returns the complete bytes of one block, so an event is encoded
// once per emit and the same Buffer is written to every connection.

/** One event block: `id:`, `event:`, then one `data:` line per line of `data`. */
export function formatEvent(id: string, name: string, data: string): Buffer {
  // JSON data never holds a raw line break, so the common case is a single data line.
  const body = data.includes('\n') ? data.split('\n').join('\ndata: ') : data
  return Buffer.from(`id: ${id}\nevent: ${name}\ndata: ${body}\n\n`)
}

/** The block that opens every stream: a comment that flushes proxies, and the retry hint. */
export function formatPrelude(retryMs: number): Buffer {
  return Buffer.from(`: herald\nretry: ${retryMs}\n\n`)
}

/** The keep-alive comment written to idle connections. */
export const HEARTBEAT: Buffer = Buffer.from(':\n\n')
