import { HeraldError } from '@herald/schema'
import type { RedisEngineClient } from './client.ts'

/** Options of `createRedisEngine`. */
export interface RedisEngineOptions {
  /**
   * Your connected node-redis client (`await createClient({ url }).connect()`). The engine sends
   * its commands on it and `duplicate()`s it for its blocking read loop; it never closes it.
   */
  redis: RedisEngineClient
  /**
   * The prefix of the channel's keys. Every key is `{<key>}:…`, one Cluster hash slot; processes
   * given the same key (and Redis) share the channel. 1 to 200 characters, no `{` or `}`.
   */
  key: string
  /** How many recent events Redis keeps for replay, per topic and of broadcasts (exact). @default 1000 */
  historySize?: number | undefined
  /** Events older than this are no longer replayed (a gap instead), and trimmed on the next publish. */
  maxAgeMs?: number | undefined
  /** An `emit` Redis has not taken within this rejects with `ENGINE_UNAVAILABLE`, and is never stored later. @default 2000 */
  publishTimeoutMs?: number | undefined
  /** How long the read loop's `XREAD` blocks waiting for events before it asks again. @default 5000 */
  blockMs?: number | undefined
}

/** The options, checked, with their defaults. */
export interface RedisEngineSettings {
  readonly redis: RedisEngineClient
  readonly key: string
  readonly historySize: number
  readonly maxAgeMs: number | undefined
  readonly publishTimeoutMs: number
  readonly blockMs: number
}

/** The longest delay a Node timer takes. */
const MAX_DELAY_MS = 2 ** 31 - 1

/** Checks `options`; throws `INVALID_OPTIONS` for any it cannot use. */
export function resolveRedisEngineOptions(options: RedisEngineOptions): RedisEngineSettings {
  if (typeof options !== 'object' || options === null) {
    throw invalid(`createRedisEngine() options must be an object, received ${describe(options)}`)
  }
  const { redis, key } = options as Partial<RedisEngineOptions>
  if (
    typeof redis !== 'object' ||
    redis === null ||
    typeof redis.sendCommand !== 'function' ||
    typeof redis.duplicate !== 'function'
  ) {
    throw invalid(`option 'redis' must be a connected node-redis client, received ${describe(redis)}`)
  }
  if (typeof key !== 'string' || key.length === 0 || key.length > 200 || /[{}]/.test(key)) {
    throw invalid(`option 'key' must be 1 to 200 characters without '{' or '}', received ${describe(key)}`)
  }
  return {
    redis,
    key,
    historySize: whole('historySize', options.historySize, 1000, 0, 10_000_000),
    maxAgeMs: options.maxAgeMs === undefined ? undefined : whole('maxAgeMs', options.maxAgeMs, 0, 1),
    publishTimeoutMs: whole('publishTimeoutMs', options.publishTimeoutMs, 2000, 1, MAX_DELAY_MS),
    blockMs: whole('blockMs', options.blockMs, 5000, 1, MAX_DELAY_MS),
  }
}

function whole(name: string, value: unknown, fallback: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (value === undefined) return fallback
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `≥ ${min}` : `from ${min} to ${max}`
    throw invalid(`option '${name}' must be a whole number ${range}, received ${describe(value)}`)
  }
  return value
}

function invalid(message: string): HeraldError {
  return new HeraldError('INVALID_OPTIONS', message)
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.slice(0, 40))
  if (typeof value === 'function') return 'a function'
  if (typeof value !== 'object' || value === null) return String(value)
  return Array.isArray(value) ? 'an array' : 'an object'
}
