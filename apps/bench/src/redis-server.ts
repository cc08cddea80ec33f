// The Redis of the Redis benchmark: a `redis-server` of its own on a free loopback port, without
// persistence, from `@herald/redis/testing` (killed with the runner, however it exits). The runner
// talks to it over a node-redis client: FLUSHALL between runs, and INFO's CPU counters (getrusage,
// µs resolution) around each measured phase.
import { startRedis } from '@herald/redis/testing'
import { createClient } from 'redis'

/** A running redis-server and the runner's client to it. */
export interface BenchRedis {
  /** `redis://127.0.0.1:<port>`. */
  readonly url: string
  /** Redis's own CPU time (user + system, µs) since it started, from `INFO cpu`. */
  cpuMicros(): Promise<number>
  /** Drops every key: each run starts from an empty Redis. */
  flush(): Promise<void>
  /** Closes the client and kills the server. */
  stop(): Promise<void>
}

/** Starts redis-server on 127.0.0.1 at a free port; resolves once the runner's client is connected. */
export async function startBenchRedis(): Promise<BenchRedis> {
  const server = await startRedis()
  const client = createClient({ url: server.url, socket: { reconnectStrategy: false } })
  client.on('error', () => {}) // a failed command rejects; the event alone would crash the runner
  await client.connect()
  return {
    url: server.url,
    async cpuMicros() {
      const info = await client.info('cpu')
      const seconds = (field: string) => Number(new RegExp(`^${field}:([\\d.]+)`, 'm').exec(info)?.[1] ?? Number.NaN)
      return Math.round((seconds('used_cpu_user') + seconds('used_cpu_sys')) * 1e6)
    },
    async flush() {
      await client.flushAll()
    },
    async stop() {
      client.destroy()
      await server.stop()
    },
  }
}
