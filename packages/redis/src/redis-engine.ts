import { HeraldError } from '@herald/schema'
import {
  type ChannelEngine,
  createEpoch,
  type EventId,
  epochOf,
  isEpoch,
  mergeEvents,
  type Replay,
  type StoredEvent,
} from '@herald/server'
import type { RedisEngineConnection } from './client.ts'
import { type Entry, entriesOf } from './entries.ts'
import { type RedisEngineOptions, resolveRedisEngineOptions } from './options.ts'
import { compare, eventOf, inRange, positionLength, positionOf } from './positions.ts'
import { runReadLoop } from './read-loop.ts'
import { EPOCH_SCRIPT, PUBLISH_SCRIPT, REPLAY_SCRIPT, runScript } from './scripts.ts'

/** What `health()` reports: whether the engine can serve, since when, and why not. */
export interface RedisEngineHealth {
  /** `ready` while Redis answers and the read loop runs; `down` otherwise (and once closed). */
  readonly state: 'ready' | 'down'
  /** When the state last changed (ms since the epoch, this process's clock). */
  readonly since: number
  /** The last error the engine met, if any. */
  readonly lastError?: string | undefined
  /** How far behind Redis the last events read were, in ms (Redis's clock), once any were read. */
  readonly lagMs?: number | undefined
}

/** A channel engine over Redis Streams, shared by every process given the same Redis and key. */
export interface RedisEngine extends ChannelEngine<Promise<EventId>> {
  /** The most events kept per topic and of broadcasts. */
  readonly historySize: number
  /** False while Redis is unreachable or the read loop failing: the channel turns new streams away. */
  readonly available: boolean
  /** The engine's state, for a readiness probe. */
  health(): RedisEngineHealth
  /** Stops the read loop and closes the engine's own connection (not your client). */
  close(): Promise<void>
}

// The engine's view of the shared log under one epoch; replaced, never mutated but for the
// cursor, when the epoch changes.
interface LogState {
  readonly epoch: string
  /** The log position the epoch began at: its origin. */
  readonly start: string
  /** The newest position the read loop delivered (the log's tip when the engine opened). */
  cursor: string
  /** The newest position one of this process's own publishes got. */
  acked: string | undefined
}

interface Waiter {
  readonly state: LogState
  readonly position: string
  readonly resolve: () => void
  readonly reject: (error: unknown) => void
}

const BROADCAST_FIELDS = 'b'

/**
 * Opens an engine over the Redis Streams under `key`: publishes go through one atomic Lua script,
 * a read loop on a connection of its own fans every process's events out here, and any process
 * replays any id. Reads (or creates) the epoch first; rejects with `INVALID_OPTIONS` for options
 * it cannot use and `ENGINE_UNAVAILABLE` when Redis does not answer.
 */
export async function createRedisEngine(options: RedisEngineOptions): Promise<RedisEngine> {
  const settings = resolveRedisEngineOptions(options)
  const { redis, historySize, publishTimeoutMs } = settings
  const maxAge = settings.maxAgeMs === undefined ? '' : String(settings.maxAgeMs)
  // It only feeds live fan-out and a read loop catching up after an outage: keep it generous.
  const logSize = String(Math.max(10 * historySize, 10_000))
  const prefix = `{${settings.key}}:`
  const keys = {
    epoch: `${prefix}epoch`,
    log: `${prefix}log`,
    trimmed: `${prefix}trimmed`,
    counter: `${prefix}counter`,
  }
  const streamOf = (topic: string | undefined) =>
    topic === undefined ? `${prefix}${BROADCAST_FIELDS}` : `${prefix}t:${topic}`
  if (!redis.isReady) throw unavailable('the Redis client is not connected')

  // Redis's clock, read at `measuredAt` on this process's monotonic clock: a step of the wall clock
  // (NTP, a VM resumed) moves neither, so a deadline in Redis's clock stays right.
  let redisMs = 0
  let measuredAt = 0
  let slack = 0 // how late past the deadline the local timer fires: the clocks' uncertainty
  const redisNow = () => redisMs + (performance.now() - measuredAt)
  const readEpoch = async (): Promise<{ epoch: string; start: string; tip: string }> => {
    const sent = performance.now()
    const reply = (await runScript(redis, EPOCH_SCRIPT, [keys.epoch, keys.log], [createEpoch()])) as string[]
    const received = performance.now()
    const [value, tip, seconds, micros] = reply.map(String) as [string, string, string, string]
    redisMs = Number(seconds) * 1000 + Math.floor(Number(micros) / 1000)
    measuredAt = (sent + received) / 2
    slack = received - sent + 10
    const [epoch, start] = value.split(' ')
    if (!isEpoch(epoch) || start === undefined || !/^\d+-\d+$/.test(start)) {
      throw new HeraldError(
        'INVALID_OPTIONS',
        `key '${keys.epoch}' holds ${JSON.stringify(value.slice(0, 40))}, not a Herald epoch`,
      )
    }
    return { epoch, start, tip }
  }
  const stateOf = ({ epoch, start, tip }: { epoch: string; start: string; tip: string }): LogState => ({
    epoch,
    start,
    cursor: tip !== '' && compare(tip, start) > 0 ? tip : start,
    acked: undefined,
  })

  let current = stateOf(await readEpoch().catch(rethrowUnavailable))
  let closed = false
  const listeners = new Set<(event: StoredEvent) => void>()
  const lostHooks = new Set<() => void>()
  let waiters: Waiter[] = []
  let health: { state: 'ready' | 'down'; since: number; lastError?: string; lagMs?: number } = {
    state: 'ready',
    since: Date.now(),
  }
  let loopUp = true
  const setHealth = (state: 'ready' | 'down', error?: unknown) => {
    if (error !== undefined) health.lastError = String((error as Error)?.message ?? error)
    if (health.state !== state) health = { ...health, state, since: Date.now() }
  }
  const isAvailable = () => !closed && loopUp && redis.isReady

  // One refresh at a time: the read loop, a failed publish and a replay may all ask at once.
  let refreshing: Promise<boolean> | undefined
  const refresh = (): Promise<boolean> => {
    refreshing ??= readEpoch()
      .then((read) => {
        if (read.epoch === current.epoch) return false
        current = stateOf({ ...read, tip: '' }) // the new epoch: read its log from its start
        for (const waiter of waiters.splice(0)) waiter.reject(unavailable('the log started over (Redis lost its data)'))
        return true
      })
      .finally(() => {
        refreshing = undefined
      })
    return refreshing
  }

  // Resolves once the read loop has delivered `position`: a replay returning it then cannot run
  // ahead of the live events, so none arrives twice (the channel drops live events up to the
  // replay's last id).
  const delivered = (state: LogState, position: string | undefined): Promise<void> => {
    if (position === undefined || compare(position, state.cursor) <= 0) return Promise.resolve()
    if (state !== current || closed) return Promise.reject(unavailable('the log started over (Redis lost its data)'))
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        waiters = waiters.filter((waiter) => waiter !== entry)
        reject(unavailable(`the read loop did not reach ${position} within ${publishTimeoutMs} ms`))
      }, publishTimeoutMs)
      const entry: Waiter = {
        state,
        position,
        resolve: () => {
          clearTimeout(timer)
          resolve()
        },
        reject: (error) => {
          clearTimeout(timer)
          reject(error)
        },
      }
      waiters.push(entry)
    })
  }

  const reader: RedisEngineConnection = redis.duplicate()
  reader.on('error', (error) => setHealth(isAvailable() ? 'ready' : 'down', error))
  await reader.connect().catch(rethrowUnavailable)

  const loop = runReadLoop({
    reader,
    log: keys.log,
    blockMs: settings.blockMs,
    state: () => current,
    refresh,
    closed: () => closed,
    lost() {
      setHealth(
        isAvailable() ? 'ready' : 'down',
        new Error('the read loop fell behind the log: events were trimmed unread'),
      )
      for (const hook of lostHooks) {
        try {
          hook()
        } catch {
          // A subscriber's failure is its own.
        }
      }
    },
    up() {
      loopUp = true
      setHealth(isAvailable() ? 'ready' : 'down')
    },
    down(error) {
      loopUp = false
      setHealth('down', error)
    },
    deliver(state, entries) {
      const newest = (entries[entries.length - 1] as Entry).id
      health.lagMs = Math.max(0, redisNow() - Number(newest.slice(0, newest.indexOf('-'))))
      for (const entry of entries) {
        const event = eventOf(state.epoch, entry)
        for (const listener of listeners) {
          try {
            listener(event)
          } catch {
            // A subscriber's failure is its own: the others, and the loop, carry on.
          }
        }
      }
      // Delivered up to the cursor: release the replays waiting for it.
      waiters = waiters.filter((waiter) => {
        if (waiter.state !== state || compare(waiter.position, state.cursor) > 0) return true
        waiter.resolve()
        return false
      })
    },
  })

  return {
    historySize,
    get epoch() {
      return current.epoch
    },
    get lastId() {
      const { epoch, cursor, acked } = current
      return `${epoch}-${acked !== undefined && compare(acked, cursor) > 0 ? acked : cursor}` as EventId
    },
    get available() {
      return isAvailable()
    },
    health() {
      setHealth(isAvailable() ? 'ready' : 'down')
      return { ...health }
    },
    publish(name, data, topics) {
      if (closed) return Promise.reject(unavailable('the engine is closed'))
      if (!redis.isReady) return Promise.reject(unavailable('the Redis client is not connected'))
      const state = current
      // In Redis's clock: the script refuses the event past it, so a publish given up on here is
      // never stored later. The local timer fires after it, by the clocks' uncertainty.
      const deadline = Math.ceil(redisNow() + publishTimeoutMs)
      const streams = topics === undefined ? [streamOf(undefined)] : topics.map(streamOf)
      const args = [
        state.epoch,
        String(deadline),
        String(historySize),
        logSize,
        maxAge,
        name,
        data,
        topics?.join('\n') ?? '',
      ]
      return new Promise<EventId>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(unavailable(`Redis did not take the event within ${publishTimeoutMs} ms`)),
          publishTimeoutMs + slack,
        )
        runScript(redis, PUBLISH_SCRIPT, [keys.epoch, keys.log, keys.trimmed, keys.counter, ...streams], args).then(
          (reply) => {
            clearTimeout(timer)
            const position = String(reply)
            if (state === current && (state.acked === undefined || compare(position, state.acked) > 0)) {
              state.acked = position
            }
            resolve(`${state.epoch}-${position}` as EventId)
          },
          (error: unknown) => {
            clearTimeout(timer)
            const message = String((error as Error | undefined)?.message)
            // Redis puts its own prefix ('ERR ') before a script's error reply.
            if (message.includes('HERALD_EPOCH')) {
              refresh().catch(() => {})
              reject(unavailable('the log started over (Redis lost its data); nothing was sent', error))
            } else if (message.includes('HERALD_DEADLINE')) {
              reject(unavailable(`Redis did not take the event within ${publishTimeoutMs} ms`, error))
            } else reject(unavailable(`Redis refused the event: ${message}`, error))
          },
        )
      })
    },
    subscribe(listener, onLost) {
      const own = (event: StoredEvent) => listener(event) // so one listener may subscribe twice
      const lost = () => onLost?.()
      listeners.add(own)
      lostHooks.add(lost)
      return () => {
        listeners.delete(own)
        lostHooks.delete(lost)
      }
    },
    async replay(lastId, topics = []) {
      if (closed) throw unavailable('the engine is closed')
      const state = current
      const theirs = epochOf(lastId)
      const position = lastId.slice(lastId.length - positionLength(lastId))
      const known = theirs === state.epoch && compare(position, state.start) >= 0 && inRange(position)
      const streams = [streamOf(undefined), ...topics.map(streamOf)]
      const reply = (await runScript(
        redis,
        REPLAY_SCRIPT,
        [keys.epoch, keys.log, keys.trimmed, ...streams],
        [known ? position : state.start, maxAge],
      )) as unknown[]
      const [value, tip] = [String(reply[0]), String(reply[1])]
      if (value.split(' ')[0] !== state.epoch || state !== current) {
        refresh().catch(() => {})
        throw unavailable('the log started over (Redis lost its data)')
      }
      let gap = false
      const topicGaps: string[] = []
      const lists: StoredEvent[][] = []
      for (const [index, topic] of [undefined, ...topics].entries()) {
        if (reply[2 + 2 * index] === 1) {
          if (topic === undefined) gap = true
          else topicGaps.push(topic)
        }
        lists.push(entriesOf(reply[3 + 2 * index]).map((entry) => eventOf(state.epoch, entry)))
      }
      const all = mergeEvents(lists)
      const head = tip !== '' && compare(tip, state.start) > 0 ? tip : state.start
      if (known && compare(position, head) <= 0) {
        await delivered(state, positionOf(all.at(-1)))
        return topics.length === 0 ? { events: all, gap } : { events: all, gap, topicGaps }
      }
      // A position means nothing outside its epoch. An id of another epoch has seen none of this
      // log: all of it follows the gap, if all is still here. An id of no epoch, or of this one
      // but out of its range, is unknown, like a forged one.
      const trimmed = gap || topicGaps.length > 0
      const events = theirs === undefined || theirs === state.epoch || trimmed ? [] : all
      await delivered(state, positionOf(events.at(-1)))
      const replay: Replay = { events, gap: true }
      return topics.length === 0 ? replay : { ...replay, topicGaps: [...topics] }
    },
    async close() {
      if (closed) return
      closed = true
      listeners.clear()
      lostHooks.clear()
      for (const waiter of waiters.splice(0)) waiter.reject(unavailable('the engine is closed'))
      setHealth('down')
      reader.destroy() // rejects the blocked XREAD at once
      await loop
    },
  }
}

function unavailable(message: string, cause?: unknown): HeraldError {
  return new HeraldError('ENGINE_UNAVAILABLE', message, cause === undefined ? {} : { cause })
}

function rethrowUnavailable(error: unknown): never {
  if (error instanceof HeraldError) throw error
  throw unavailable(`Redis did not answer: ${String((error as Error | undefined)?.message ?? error)}`, error)
}
