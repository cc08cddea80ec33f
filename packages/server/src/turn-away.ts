import { REFUSED_HEADER, type RefusedReason } from '@herald/schema'
import type { ExchangeResponse } from './exchange.ts'
import { formatControl } from './format.ts'
import { SSE_HEADERS } from './headers.ts'

/**
 * Answers with a stream that carries only `block` and ends: every EventSource comes back after
 * its `retry:`. The refused header lets Herald's own EventSource see the refusal before it opens,
 * and `Retry-After` tells any other HTTP client.
 */
function turnAway(res: ExchangeResponse, reason: RefusedReason, block: Buffer, waitMs: number): void {
  res.writeHead(200, {
    // A stream's content type and caching, but not X-Accel-Buffering: this one ends at once.
    'content-type': SSE_HEADERS['content-type'] as string,
    'cache-control': SSE_HEADERS['cache-control'] as string,
    'retry-after': String(Math.ceil(waitMs / 1000)),
    [REFUSED_HEADER]: reason,
  })
  res.end(block)
}

/** Turns a request away from a closed channel: only a `retry:` of `waitMs`. */
export function turnAwayClosed(res: ExchangeResponse, waitMs: number): void {
  turnAway(res, 'closed', Buffer.from(`retry: ${waitMs}\n\n`), waitMs)
}

/** Turns a request away at a limit: a `herald:busy` event and a `retry:`, both of `waitMs`. */
export function turnAwayBusy(res: ExchangeResponse, waitMs: number): void {
  turnAway(res, 'busy', formatControl('herald:busy', { retryMs: waitMs }, { retryMs: waitMs }), waitMs)
}
