// The bench's command line: `npm run bench -w @herald/bench -- [flags]`.
//   --scenario <ids|all>   throughput-100, throughput-1000, latency-10, latency-100, idle-memory,
//                          max-connections (comma-separated); default all
//   --rounds <n>           rounds of every scenario but max-connections; default 3 (smoke: 1)
//   --servers <names>      node-http, herald, koa-naive, better-sse, trpc (default: these five),
//                          and the diagnostics herald-http (Herald on plain node:http) and koa-bare
//                          (the baseline's loop behind a Koa route), to separate Koa's cost
//   --smoke                a few clients, a few events, one round: checks correctness only
//   --latency-seconds <s>  length of each latency run; default 15
//   --max-connections <n>  highest level of the max-connections attempt; default 15000
//   --dist                 run Herald from its built dist instead of its TypeScript source
//   --cpu-prof             write a CPU profile of every server process to profiles/
//   --out <file>           where to write the Markdown report; default RESULTS.md (not in smoke mode)
//   --json <file>          also write the raw results as JSON
//   --from-json <file>     run nothing: render the report of results saved with --json
import { execFileSync } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { type BenchResults, frameworkVersions, runBench } from './bench.ts'
import { fail, roundsFlag } from './cli.ts'
import { BENCH_DIR, killAll } from './processes.ts'
import { renderReport } from './report.ts'
import { EXTRA_SERVERS, fullScenarios, SERVERS, type ServerName, smokeScenarios } from './scenarios.ts'

const { values } = parseArgs({
  options: {
    scenario: { type: 'string', default: 'all' },
    rounds: { type: 'string' },
    servers: { type: 'string', default: SERVERS.join(',') },
    smoke: { type: 'boolean', default: false },
    'latency-seconds': { type: 'string', default: '15' },
    'max-connections': { type: 'string', default: '15000' },
    dist: { type: 'boolean', default: false },
    'cpu-prof': { type: 'boolean', default: false },
    out: { type: 'string' },
    json: { type: 'string' },
    'from-json': { type: 'string' },
  },
})

const known: readonly string[] = [...SERVERS, ...EXTRA_SERVERS]
const servers = values.servers.split(',').map((name) => name.trim()) as ServerName[]
for (const name of servers) if (!known.includes(name)) fail(`unknown server '${name}' (use ${known.join(', ')})`)

const fdLimit = Number(execFileSync('bash', ['-c', 'ulimit -Hn'], { encoding: 'utf8' }).trim())
const maxConnections = Math.min(Number(values['max-connections']), Number.isFinite(fdLimit) ? fdLimit - 500 : 15_000)
const catalog = values.smoke
  ? smokeScenarios()
  : fullScenarios({ latencySeconds: Number(values['latency-seconds']), maxConnections })
const wanted = values.scenario === 'all' ? catalog.map((scenario) => scenario.id) : values.scenario.split(',')
for (const id of wanted) {
  if (!catalog.some((scenario) => scenario.id === id)) {
    fail(`unknown scenario '${id}' (use ${catalog.map((scenario) => scenario.id).join(', ')} or all)`)
  }
}
const rounds = roundsFlag(values)

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    killAll()
    process.exit(130)
  })
}
process.once('exit', killAll)

/** Results as saved with `--json`: with the command that produced them. */
type SavedResults = BenchResults & { command: string }

const run = async (): Promise<SavedResults> => {
  if (values['from-json'] !== undefined) {
    const saved = JSON.parse(readFileSync(resolve(BENCH_DIR, values['from-json']), 'utf8')) as SavedResults
    saved.environment.versions ??= frameworkVersions() // saved before versions were recorded
    return saved
  }
  const results = await runBench({
    scenarios: catalog.filter((scenario) => wanted.includes(scenario.id)),
    servers,
    rounds,
    source: !values.dist,
    cpuProf: values['cpu-prof'],
    log: (line) => process.stderr.write(`${line}\n`),
  })
  return { ...results, command: ['npm run bench --', ...process.argv.slice(2)].join(' ') }
}

const results = await run()
const report = renderReport(results, results.command)
process.stdout.write(`\n${report}`)
const out = values.out ?? (values.smoke ? undefined : 'RESULTS.md')
if (out !== undefined) {
  writeFileSync(resolve(BENCH_DIR, out), report)
  process.stderr.write(`wrote ${resolve(BENCH_DIR, out)}\n`)
}
if (values.json !== undefined) writeFileSync(resolve(BENCH_DIR, values.json), JSON.stringify(results, null, 2))
