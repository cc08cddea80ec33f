// The Redis benchmark at smoke size, end to end: a real redis-server, the in-memory engine on one
// Herald process and the Redis engine on two sharing that Redis, a real load generator with its
// connections split across them. It checks correctness only: in both phases every connection got
// every event once and in order, whichever instance it is on. No timing.
import { afterAll, expect, it } from 'vitest'
import { killAll } from './processes.ts'
import { runRedisBench } from './redis-bench.ts'
import { REDIS_CASES, redisSizes } from './redis-scenarios.ts'
import { type BenchRedis, startBenchRedis } from './redis-server.ts'

let redis: BenchRedis | undefined
afterAll(async () => {
  killAll()
  await redis?.stop()
})

it('every client gets every event once and in order, on one memory instance and on two Redis instances', {
  timeout: 60_000,
}, async () => {
  redis = await startBenchRedis()
  const sizes = redisSizes('smoke')
  const cases = REDIS_CASES.filter((redisCase) => redisCase.id !== 'redis-1')
  const results = await runRedisBench({ cases, rounds: 1, sizes, source: true, cpuProf: false, redis, log: () => {} })

  const phase = (load: { [key: string]: unknown } | undefined) => ({
    connections: load?.['connections'],
    complete: load?.['complete'],
    delivered: load?.['delivered'],
    lost: load?.['lost'],
    duplicated: load?.['duplicated'],
    reordered: load?.['reordered'],
    unexpected: load?.['unexpected'],
    closed: load?.['closed'],
    badStatus: load?.['badStatus'],
    timedOut: load?.['timedOut'],
  })
  const exact = (events: number) => ({
    connections: sizes.clients,
    complete: sizes.clients,
    delivered: sizes.clients * events,
    lost: 0,
    duplicated: 0,
    reordered: 0,
    unexpected: 0,
    closed: 0,
    badStatus: 0,
    timedOut: false,
  })
  expect(
    results.runs.map((run) => ({
      case: run.case,
      error: run.error,
      instances: run.rate?.instances.map((instance) => instance.clients),
      paced: phase(run.rate?.load as never),
      burst: phase(run.burst?.load as never),
    })),
  ).toEqual(
    cases.map((redisCase) => ({
      case: redisCase.id,
      error: undefined,
      instances: redisCase.instances === 2 ? [10, 10] : [20],
      paced: exact(sizes.rateEvents),
      burst: exact(sizes.burstEvents),
    })),
  )
})
