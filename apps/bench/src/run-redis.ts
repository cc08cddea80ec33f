// The Redis benchmark's command line: `npm run bench:redis -w @herald/bench -- [flags]`.
//   --rounds <n>    rounds of every case; default 3 (smoke: 1)
//   --seconds <n>   length of the paced phase at 100 events/s; default 10
//   --cases <ids>   memory, redis-2, redis-1 (comma-separated); default all (smoke: memory,redis-2)
//   --smoke         20 clients and a few events: checks correctness only
//   --cpu-prof      CPU profiles of every Herald process in profiles/redis-<case>-i<n>-r<round>/
//   --out <file>    also write the Markdown report there
//   --json <file>   also write the raw results as JSON
import { writeFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { fail, roundsFlag, wholeFlag } from './cli.ts'
import { BENCH_DIR, killAll } from './processes.ts'
import { runRedisBench } from './redis-bench.ts'
import { renderRedisReport } from './redis-report.ts'
import { REDIS_CASES, redisSizes } from './redis-scenarios.ts'
import { startBenchRedis } from './redis-server.ts'

const { values } = parseArgs({
  options: {
    rounds: { type: 'string' },
    seconds: { type: 'string', default: '10' },
    cases: { type: 'string' },
    smoke: { type: 'boolean', default: false },
    'cpu-prof': { type: 'boolean', default: false },
    out: { type: 'string' },
    json: { type: 'string' },
  },
})

const wanted = (values.cases ?? (values.smoke ? 'memory,redis-2' : REDIS_CASES.map((c) => c.id).join(','))).split(',')
for (const id of wanted) {
  if (!REDIS_CASES.some((redisCase) => redisCase.id === id)) fail(`unknown case '${id}'`)
}
const rounds = roundsFlag(values)
const seconds = wholeFlag('seconds', values.seconds, 2)

const redis = await startBenchRedis()
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    killAll()
    process.exit(130)
  })
}
process.once('exit', killAll)

const results = await runRedisBench({
  cases: REDIS_CASES.filter((redisCase) => wanted.includes(redisCase.id)),
  rounds,
  sizes: redisSizes(values.smoke ? 'smoke' : 'full', seconds),
  source: true,
  cpuProf: values['cpu-prof'],
  redis,
  log: (line) => process.stderr.write(`${line}\n`),
})
await redis.stop()
const report = renderRedisReport(results, ['npm run bench:redis --', ...process.argv.slice(2)].join(' '))
process.stdout.write(`\n${report}`)
if (values.out !== undefined) writeFileSync(resolve(BENCH_DIR, values.out), report)
if (values.json !== undefined) writeFileSync(resolve(BENCH_DIR, values.json), JSON.stringify(results, null, 2))
