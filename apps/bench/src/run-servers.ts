// The servers benchmark (issue #13): Herald's Fetch adapter on Hono beside Hono's own `streamSSE`
// and Herald on Koa, as server CPU per delivered event over the node:http loop in the same round.
// It runs the harness of `bench` (bench.ts) on its throughput and latency scenarios.
//   npm run bench:servers -w @herald/bench -- [flags]
//   --rounds <n>           default 3 (smoke: 1)
//   --scenario <ids>       throughput-100, throughput-1000, latency-100 (comma-separated); default all
//   --servers <names>      node-http, herald, hono-fetch, hono-sse (default: these four; node-http must
//                          stay, the baseline), and the diagnostic hono-node
//   --latency-seconds <s>  length of each latency run; default 5
//   --smoke                a few clients and events, one round: checks correctness only
//   --dist                 run Herald from its built dist instead of its TypeScript source
//   --cpu-prof             CPU profiles of every process in profiles/ (see profile-summary.ts)
//   --out <file>           also write the Markdown report there
//   --json <file>          also write the raw results as JSON
import { readFileSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { runBench } from './bench.ts'
import { fail, roundsFlag } from './cli.ts'
import { BENCH_DIR, killAll } from './processes.ts'
import { fullScenarios, type ServerName, smokeScenarios } from './scenarios.ts'
import { renderServersReport, SERVERS_COMPARED, SERVERS_DIAGNOSTIC } from './servers-report.ts'

const SCENARIOS = ['throughput-100', 'throughput-1000', 'latency-100']

const { values } = parseArgs({
  options: {
    rounds: { type: 'string' },
    scenario: { type: 'string', default: SCENARIOS.join(',') },
    servers: { type: 'string', default: SERVERS_COMPARED.join(',') },
    'latency-seconds': { type: 'string', default: '5' },
    smoke: { type: 'boolean', default: false },
    dist: { type: 'boolean', default: false },
    'cpu-prof': { type: 'boolean', default: false },
    out: { type: 'string' },
    json: { type: 'string' },
  },
})

const servers = values.servers.split(',').map((name) => name.trim())
const known: readonly string[] = [...SERVERS_COMPARED, ...SERVERS_DIAGNOSTIC]
for (const name of servers) if (!known.includes(name)) fail(`unknown server '${name}' (use ${known.join(', ')})`)
if (!servers.includes('node-http')) fail('node-http is the baseline: keep it in --servers')
const wanted = values.scenario.split(',').map((id) => id.trim())
for (const id of wanted) if (!SCENARIOS.includes(id)) fail(`unknown scenario '${id}' (use ${SCENARIOS.join(', ')})`)
const rounds = roundsFlag(values)
const catalog = values.smoke
  ? smokeScenarios()
  : fullScenarios({ latencySeconds: Number(values['latency-seconds']), maxConnections: 0 })

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    killAll()
    process.exit(130)
  })
}
process.once('exit', killAll)

const results = await runBench({
  scenarios: catalog.filter((scenario) => wanted.includes(scenario.id)),
  // The harness starts `src/servers/<name>.ts`; the two Hono servers are named only here.
  servers: servers as ServerName[],
  rounds,
  source: !values.dist,
  cpuProf: values['cpu-prof'],
  log: (line) => process.stderr.write(`${line}\n`),
})
for (const name of ['hono', '@hono/node-server']) {
  const manifest = join(BENCH_DIR, '..', '..', 'node_modules', name, 'package.json')
  results.environment.versions[name] = (JSON.parse(readFileSync(manifest, 'utf8')) as { version: string }).version
}
const report = renderServersReport(results, ['npm run bench:servers --', ...process.argv.slice(2)].join(' '))
process.stdout.write(`\n${report}`)
if (values.out !== undefined) writeFileSync(resolve(BENCH_DIR, values.out), report)
if (values.json !== undefined) writeFileSync(resolve(BENCH_DIR, values.json), JSON.stringify(results, null, 2))
