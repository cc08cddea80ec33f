// Herald's size report: bundles a small browser app the way a user's bundler would (esbuild,
// browser platform, ESM, minified) and prints each bundle's raw and gzip size. The client loads
// its connection (`connection.ts`) with `import()`: "up front" is what a page loads before it,
// and the Vite rows show how Vite 8 splits the same app into files.
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
  {
    name: 'client + schema loaded up front (zod external)',
    source: app,
    external: ['zod'],
    upFront: true,
    budget: { raw: 10_950, gzip: 4_650 },
  },
  {
    name: 'client + schema, whole (zod external)',
    source: app,
    external: ['zod'],
    budget: { raw: 29_250, gzip: 11_450 },
  },
  { name: 'app with zod bundled', source: app, external: [], budget: { raw: 113_550, gzip: 35_850 } },
  { name: 'app with zod/mini bundled', source: mini, external: [], budget: { raw: 41_450, gzip: 15_400 } },
  {
    name: 'client + schema + HeraldEventSource (zod external)',
    source: withHeaders,
    external: ['zod'],
    budget: { raw: 36_000, gzip: 13_850 },
  },
]

/** Leaves the client's connection, which it loads with `import()`, out of a bundle. */
const connectionExternal = {
  name: 'connection-external',
  setup(build) {
    build.onResolve({ filter: /\/connection\.ts$/ }, ({ path }) => ({ path, external: true }))
  },
}

/**
 * Bundles `source` for the browser and returns its raw and gzip sizes in bytes; `upFront`: only
 * what the page loads before the client's connection, as a bundler that splits code keeps it.
 */
export async function measure(source, external, upFront = false) {
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
    plugins: upFront ? [connectionExternal] : [],
    logLevel: 'silent',
  })
  return sizeOf(result.outputFiles[0].contents)
}

const sizeOf = (code) => ({ raw: code.length, gzip: gzipSync(code, { level: 9 }).byteLength })

/**
 * Builds an app for the browser with Vite 8 (Rolldown), minified, splitting code as a Vite app
 * does; `entry` is a file's path or `{ source }`. Returns its chunks (`fileName`, `code`,
 * `isEntry`, `isDynamicEntry`, `imports`), nothing written to disk.
 */
export async function buildWithVite(entry, external = []) {
  const { build: viteBuild, defaultClientConditions } = await import('vite')
  const virtual = typeof entry === 'string' ? undefined : '\0herald-size-app.js'
  const output = await viteBuild({
    root,
    configFile: false,
    logLevel: 'silent',
    resolve: { conditions: ['@herald/source', ...defaultClientConditions] },
    plugins: [
      {
        name: 'herald-size-app',
        resolveId: (id) => (id === virtual ? id : undefined),
        load: (id) => (id === virtual ? entry.source : undefined),
      },
    ],
    build: { write: false, minify: true, target: 'es2022', rollupOptions: { input: virtual ?? entry, external } },
  })
  return output.output.filter((item) => item.type === 'chunk')
}

/** The chunks a page loads before any `import()`: the entry and, through their imports, the chunks it needs. */
export function upFrontChunks(chunks) {
  const byName = new Map(chunks.map((chunk) => [chunk.fileName, chunk]))
  const found = new Set()
  const visit = (chunk) => {
    // An import that names no chunk is external: zod.
    if (chunk === undefined || found.has(chunk)) return
    found.add(chunk)
    for (const name of chunk.imports) visit(byName.get(name))
  }
  visit(chunks.find((chunk) => chunk.isEntry))
  return found
}

/**
 * The small app built by Vite, zod external: the files its page loads up front (the entry and the
 * chunks it imports) and those it loads with the connection, each gzipped on its own as served.
 */
export async function measureVite() {
  const chunks = await buildWithVite({ source: app }, [/^zod(\/|$)/])
  const upFront = upFrontChunks(chunks)
  const sum = (list) =>
    list
      .map((chunk) => sizeOf(Buffer.from(chunk.code)))
      .reduce((a, b) => ({ raw: a.raw + b.raw, gzip: a.gzip + b.gzip }))
  return {
    upFront: { files: upFront.size, ...sum([...upFront]) },
    onConnect: { files: chunks.length - upFront.size, ...sum(chunks.filter((chunk) => !upFront.has(chunk))) },
  }
}

/** Measures every bundle against its budget. */
export async function report() {
  const rows = []
  for (const bundle of BUNDLES) {
    const size = await measure(bundle.source, bundle.external, bundle.upFront)
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
  if (!process.argv.includes('--json')) {
    const vite = await measureVite()
    for (const [what, size] of [
      ['up front', vite.upFront],
      ['with the connection', vite.onConnect],
    ]) {
      const name = `Vite 8, zod external: ${what} (${size.files} file${size.files === 1 ? '' : 's'})`
      console.log(`${name.padEnd(52)} ${kb(size.raw).padStart(9)} ${kb(size.gzip).padStart(9)} gzip`)
    }
  }
  if (process.argv.includes('--check') && rows.some((row) => row.over)) process.exitCode = 1
}
