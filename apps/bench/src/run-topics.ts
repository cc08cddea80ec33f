// The topic benchmark's command line: `npm run bench:topics -w @herald/bench -- [flags]`.
//   --rounds <n>   rounds of every case; default 3 (smoke: 1)
//   --batch <n>    events per event-loop turn; default 1 (every emit its own write)
//   --smoke        a few hundred connections at most: checks correctness only
//   --cases <ids>  baseline, broadcast-rooms, targeted-many, targeted-few, targeted-hot,
//                  targeted-one, broadcast-one, node-many, node-few (comma-separated);
//                  default all
//   --out <file>   also write the Markdown report there
//   --json <file>  also write the raw results as JSON
import { writeFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { fail, roundsFlag, wholeFlag } from './cli.ts'
import { BENCH_DIR, killAll } from './processes.ts'
import { topicCases } from './topic-scenarios.ts'
import { runTopicsBench } from './topics-bench.ts'
import { renderTopicsReport } from './topics-report.ts'

const { values } = parseArgs({
  options: {
    rounds: { type: 'string' },
    batch: { type: 'string', default: '1' },
    smoke: { type: 'boolean', default: false },
    cases: { type: 'string', default: 'all' },
    out: { type: 'string' },
    json: { type: 'string' },
  },
})

const catalog = topicCases(values.smoke ? 'smoke' : 'full')
const wanted = values.cases === 'all' ? catalog.map((topicCase) => topicCase.id) : values.cases.split(',')
for (const id of wanted) {
  if (!catalog.some((topicCase) => topicCase.id === id)) fail(`unknown case '${id}'`)
}
const rounds = roundsFlag(values)
const batch = wholeFlag('batch', values.batch, 1)

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    killAll()
    process.exit(130)
  })
}
process.once('exit', killAll)

const results = await runTopicsBench({
  cases: catalog.filter((topicCase) => wanted.includes(topicCase.id)),
  rounds,
  batch,
  source: true,
  log: (line) => process.stderr.write(`${line}\n`),
})
const report = renderTopicsReport(results, ['npm run bench:topics --', ...process.argv.slice(2)].join(' '))
process.stdout.write(`\n${report}`)
if (values.out !== undefined) writeFileSync(resolve(BENCH_DIR, values.out), report)
if (values.json !== undefined) writeFileSync(resolve(BENCH_DIR, values.json), JSON.stringify(results, null, 2))
