// Herald's size report: bundles a small browser app the way a user's bundler would (esbuild,
// browser platform, ESM, minified) and prints each bundle's raw and gzip size.
//
//   node scripts/size.mjs           prints the table
//   node scripts/size.mjs --json    prints the figures as JSON
//   node scripts/size.mjs --check   also exits 1 when a bundle is over its budget
//
// It reads the packages' TypeScript source (the `@herald/source` condition), so it needs no build;
// tsc's output for `dist` minifies to the same code.
import { fileURLToPath } from 'node:url'
import { gzipSync } from 'node:zlib'
import { build } from 'esbuild'

const root = fileURLToPath(new URL('..', import.meta.url))

// A small but complete client app: a contract, listeners, an async iterator, the hooks.
const app = `
import { defineEvents } from '@herald/schema'
import { createClient } from '@herald/client'
import * as z from 'zod'

const events = defineEvents({
  name: z.string(),
  age: z.number().int(),
  time: z.date(),
})
const client = createClient(events, '/events')
client.on('name', (name) => { document.title = name })
client.onError((error) => document.body.append(error.code))
client.onState((state) => document.body.setAttribute('data-state', state))
for await (const age of client.stream('age')) document.body.append(String(age))
`

// The same app, sending a header: it imports Herald's fetch-based EventSource explicitly.
const withHeaders = app
  .replace(
    "import { createClient } from '@herald/client'",
    "import { createClient, HeraldEventSource } from '@herald/client'",
  )
  .replace("'/events')", "'/events', { EventSource: HeraldEventSource, headers: { authorization: 'Bearer x' } })")

// The same app on zod/mini, zod's tree-shakable API.
const mini = app
  .replace("import * as z from 'zod'", "import * as z from 'zod/mini'")
  .replace('z.number().int()', 'z.int()')

/**
 * The bundles measured and their budgets in bytes (gzip at level 9): the measured size plus
 * about 3%. Raise one only on purpose, with the new figures in docs/performance-size.md.
 */
export const BUNDLES = [
  { name: 'client + schema (zod external)', source: app, external: ['zod'], budget: { raw: 26_600, gzip: 10_500 } },
  { name: 'app with zod bundled', source: app, external: [], budget: { raw: 110_200, gzip: 34_250 } },
  { name: 'app with zod/mini bundled', source: mini, external: [], budget: { raw: 37_600, gzip: 13_950 } },
  {
    name: 'client + schema + HeraldEventSource (zod external)',
    source: withHeaders,
    external: ['zod'],
    budget: { raw: 33_000, gzip: 12_800 },
  },
]

/** Bundles `source` for the browser and returns its raw and gzip sizes in bytes. */
export async function measure(source, external) {
  const result = await build({
    stdin: { contents: source, resolveDir: root, loader: 'ts', sourcefile: 'size-app.ts' },
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    minify: true,
    conditions: ['@herald/source'],
    external,
    logLevel: 'silent',
  })
  const code = result.outputFiles[0].contents
  return { raw: code.byteLength, gzip: gzipSync(code, { level: 9 }).byteLength }
}

/** Measures every bundle against its budget. */
export async function report() {
  const rows = []
  for (const bundle of BUNDLES) {
    const size = await measure(bundle.source, bundle.external)
    const over = size.raw > bundle.budget.raw || size.gzip > bundle.budget.gzip
    rows.push({ name: bundle.name, ...size, budget: bundle.budget, over })
  }
  return rows
}

const kb = (bytes) => `${(bytes / 1000).toFixed(1)} KB`

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const rows = await report()
  if (process.argv.includes('--json')) {
    console.log(JSON.stringify(rows, null, 2))
  } else {
    for (const row of rows) {
      const budget = `budget ${kb(row.budget.raw)} / ${kb(row.budget.gzip)}`
      const flag = row.over ? '  OVER BUDGET' : ''
      console.log(
        `${row.name.padEnd(52)} ${kb(row.raw).padStart(9)} ${kb(row.gzip).padStart(9)} gzip  (${budget})${flag}`,
      )
    }
  }
  if (process.argv.includes('--check') && rows.some((row) => row.over)) process.exitCode = 1
}
