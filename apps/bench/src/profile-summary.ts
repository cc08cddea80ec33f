// Summarizes the main-thread CPU profile of one bench process: the functions with the most self
// time, and the time per package (node internals, herald, koa, zod, …). When the runner left a
// `emit-window.txt` beside it, only the samples of the emit phase count. V8 stamps samples on
// CLOCK_MONOTONIC, the clock of the payload timestamps, so the window needs no conversion.
//   node --import tsx src/profile-summary.ts profiles/herald-throughput-100-r1 [--top 25] [--whole]
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { parseArgs } from 'node:util'

interface ProfileNode {
  id: number
  callFrame: { functionName: string; url: string; lineNumber: number }
}

interface Profile {
  nodes: ProfileNode[]
  startTime: number
  samples: number[]
  timeDeltas: number[]
}

/** Self time in one function or one package, in ms. */
interface Entry {
  name: string
  ms: number
  share: number
}

/** Where a profile's self time went. */
interface ProfileSummary {
  totalMs: number
  functions: Entry[]
  packages: Entry[]
}

function packageOf(url: string): string {
  if (url === '') return '(native / V8)'
  if (url.startsWith('node:')) return 'node internals'
  const scoped = /node_modules\/(@[^/]+\/[^/]+|[^/]+)\//.exec(url)
  if (scoped?.[1] !== undefined) return scoped[1]
  const workspace = /\/(packages|apps)\/([^/]+)\//.exec(url)
  if (workspace?.[2] !== undefined) return `${workspace[1]}/${workspace[2]}`
  return 'other'
}

function shortUrl(url: string): string {
  return url.replace(/^file:\/\/.*?\/(node_modules|packages|apps)\//, '$1/')
}

/** Adds up self time per function and per package, within [fromMicros, toMicros] when given. */
function summarizeProfile(profile: Profile, window?: { fromMicros: number; toMicros: number }): ProfileSummary {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]))
  const functions = new Map<string, number>()
  const packages = new Map<string, number>()
  let time = profile.startTime
  let total = 0
  for (let index = 0; index < profile.samples.length; index++) {
    const delta = profile.timeDeltas[index] ?? 0
    time += delta
    if (window !== undefined && (time < window.fromMicros || time > window.toMicros)) continue
    const node = byId.get(profile.samples[index] ?? -1)
    if (node === undefined) continue
    const { functionName, url, lineNumber } = node.callFrame
    const name =
      url === ''
        ? `${functionName || '(anonymous)'}`
        : `${functionName || '(anonymous)'} ${shortUrl(url)}:${lineNumber + 1}`
    functions.set(name, (functions.get(name) ?? 0) + delta)
    const pkg = packageOf(url)
    packages.set(pkg, (packages.get(pkg) ?? 0) + delta)
    total += delta
  }
  const entries = (map: Map<string, number>) =>
    [...map]
      .map(([name, micros]) => ({ name, ms: micros / 1000, share: total === 0 ? 0 : micros / total }))
      .sort((a, b) => b.ms - a.ms)
  return { totalMs: total / 1000, functions: entries(functions), packages: entries(packages) }
}

function render(file: string, summary: ProfileSummary, top: number, windowed: boolean): string {
  const row = (entry: Entry) => `| ${entry.name} | ${entry.ms.toFixed(1)} | ${(entry.share * 100).toFixed(1)} % |`
  return [
    `### ${file}`,
    '',
    `${summary.totalMs.toFixed(0)} ms of samples${windowed ? ' in the emit phase' : ''}.`,
    '',
    '| package | self ms | share |',
    '| :-- | --: | --: |',
    ...summary.packages.slice(0, 12).map(row),
    '',
    '| function | self ms | share |',
    '| :-- | --: | --: |',
    ...summary.functions.slice(0, top).map(row),
    '',
  ].join('\n')
}

const { values, positionals } = parseArgs({
  options: { top: { type: 'string', default: '25' }, whole: { type: 'boolean', default: false } },
  allowPositionals: true,
})
/** The main thread's profile in a profile directory (Node names them CPU.<date>.<time>.<pid>.<thread>.<n>). */
function mainThreadProfile(path: string): string {
  if (!statSync(path).isDirectory()) return path
  const main = readdirSync(path).find((name) => /^CPU\.\d+\.\d+\.\d+\.0\.\d+\.cpuprofile$/.test(name))
  if (main === undefined) throw new Error(`no main-thread profile in ${path}`)
  return join(path, main)
}

for (const path of positionals) {
  const file = mainThreadProfile(path)
  const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile
  const sidecar = join(file, '..', 'emit-window.txt')
  const [fromMicros, toMicros] = existsSync(sidecar) ? readFileSync(sidecar, 'utf8').split(' ').map(Number) : []
  const window =
    values.whole || fromMicros === undefined || toMicros === undefined ? undefined : { fromMicros, toMicros }
  process.stdout.write(render(path, summarizeProfile(profile, window), Number(values.top), window !== undefined))
}
