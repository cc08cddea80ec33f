// SSE framing. Every function returns the complete bytes of one block, so an event is encoded
// once per emit and the same Buffer is written to every connection. Herald's own control events
// live in the `herald:` namespace, which `defineEvents` keeps user events out of.

/** One event block: `id:`, `event:`, then one `data:` line per line of `data`. */
export function formatEvent(id: string, name: string, data: string): Buffer {
  // JSON data never holds a raw line break, so the common case is a single data line.
  const body = data.includes('\n') ? data.split('\n').join('\ndata: ') : data
  return Buffer.from(`id: ${id}\nevent: ${name}\ndata: ${body}\n\n`)
}

/** A Herald control event; `data` is JSON-encoded, so it stays on one line. */
export function formatControl(name: 'hello' | 'gap' | 'busy', data: Record<string, unknown>, retryMs?: number): Buffer {
  const retry = retryMs === undefined ? '' : `retry: ${retryMs}\n`
  return Buffer.from(`${retry}event: herald:${name}\ndata: ${JSON.stringify(data)}\n\n`)
}

/**
 * The block that opens every stream: a comment that flushes proxies, the retry hint, and a
 * `herald:hello` event that tells Herald's client the heartbeat interval to watch for.
 */
export function formatPrelude(retryMs: number, heartbeatMs: number): Buffer {
  return Buffer.concat([Buffer.from(': herald\n'), formatControl('hello', { heartbeatMs }, retryMs)])
}

/** The keep-alive written to idle connections: an event, not a comment, so a page's script can see it. */
export const HEARTBEAT: Buffer = Buffer.from('event: herald:ping\ndata:\n\n')

/** A reconnection delay spread over [ms, 2·ms), so clients cut off together don't return together. */
export function jitter(ms: number): number {
  return Math.round(ms + Math.random() * ms)
}
