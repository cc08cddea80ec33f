import { createRedisEngine, type RedisEngine } from '@herald/redis'
import { createClient } from 'redis'

// The example's scaled-out mode: every instance given the same Redis and key shares one channel.
// An emit on any instance reaches the streams of all of them, and a client resumes on any of them.

/** The example's connection to Redis: the engine its channel uses, and the stream tickets' used list. */
export interface SharedLog {
  /** The channel's engine (`createRedisEngine`). */
  readonly engine: RedisEngine
  /**
   * Marks a stream ticket used across every instance (`SET … NX`): true the first time, false when
   * any instance already took it. True as well when Redis does not answer: the instance's own check
   * still refuses a ticket used here, and while Redis is down new streams are turned away anyway.
   */
  claimTicket(ticket: string): Promise<boolean>
  /** Stops the engine and closes the connection. */
  close(): Promise<void>
}

/** Options of `connectSharedLog`. */
export interface SharedLogOptions {
  /** `redis://host:port`. */
  readonly url: string
  /** The prefix of every key; instances given the same one share the channel. */
  readonly key: string
  /** How many events Redis keeps per topic (and of broadcasts) for clients that resume. */
  readonly historySize: number
  /** How long a ticket stays in the used list: longer than a ticket lives. */
  readonly ticketTtlMs: number
  /** Where connection changes are reported, one line each. @default standard error */
  readonly log?: ((line: string) => void) | undefined
}

/** How long the first connection may take before the example gives up. */
const CONNECT_TIMEOUT_MS = 10_000

/** A ticket's signature: 32 bytes in base64url, after the last dot. */
const SIGNATURE = /\.([A-Za-z0-9_-]{43})$/

/**
 * Connects to Redis and opens the channel's engine. Rejects when Redis does not answer within 10 s;
 * after that, node-redis reconnects by itself and the engine's `health()` says how it is.
 */
export async function connectSharedLog(options: SharedLogOptions): Promise<SharedLog> {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`))
  const redis = createClient({ url: options.url })
  // node-redis reports every failed reconnect as an 'error' event: unheard, it would end the
  // process. Say it once per outage.
  let down = false
  redis.on('error', (error: Error) => {
    if (down) return
    down = true
    log(`Redis at ${options.url} unreachable (${error.message}); reconnecting`)
  })
  redis.on('ready', () => {
    if (!down) return
    down = false
    log(`Redis at ${options.url} is back`)
  })
  let timer: NodeJS.Timeout | undefined
  try {
    await Promise.race([
      redis.connect(),
      new Promise((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`Redis at ${options.url} did not answer within ${CONNECT_TIMEOUT_MS / 1000} s`)),
          CONNECT_TIMEOUT_MS,
        )
      }),
    ])
  } catch (error) {
    redis.destroy()
    throw error
  } finally {
    clearTimeout(timer)
  }
  const engine = await createRedisEngine({ redis, key: options.key, historySize: options.historySize }).catch(
    (error: unknown) => {
      redis.destroy()
      throw error
    },
  )
  return {
    engine,
    async claimTicket(ticket) {
      const signature = SIGNATURE.exec(ticket)?.[1]
      if (signature === undefined || !redis.isReady) return true // malformed: the ticket check refuses it
      try {
        const key = `${options.key}:ticket:${signature}`
        const reply = await redis.set(key, '1', {
          condition: 'NX',
          expiration: { type: 'PX', value: options.ticketTtlMs },
        })
        return reply !== null
      } catch {
        return true
      }
    },
    async close() {
      await engine.close()
      redis.destroy()
    },
  }
}
