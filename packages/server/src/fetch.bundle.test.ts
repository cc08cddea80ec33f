import { gzipSync } from 'node:zlib'
import { build } from 'esbuild'
import { describe, expect, it } from 'vitest'

// The Fetch adapter is for runtimes without Node's modules (edge functions, workers): an app that
// serves a channel with it must bundle, for a platform that is not Node, without importing any.
// Bundled from the packages' source (`@herald/source`), as the build is a plain tsc of it.

const app = (extra = '') => `
import { defineEvents } from '@herald/schema'
import { createChannel } from '@herald/server'
import { sse } from '@herald/server/fetch'
import * as z from 'zod'
${extra}
const channel = createChannel(defineEvents({ age: z.number() }))
export const GET = sse(channel)
export const emit = (age) => channel.emit('age', age)
`

async function bundle(contents: string, external: string[] = []) {
  const result = await build({
    stdin: { contents, resolveDir: import.meta.dirname, loader: 'ts', sourcefile: 'app.ts' },
    bundle: true,
    platform: 'neutral',
    conditions: ['@herald/source'],
    format: 'esm',
    target: 'es2022',
    minify: true,
    write: false,
    metafile: true,
    // Left for the bundle to import, so that a Node builtin still used shows up as an import.
    external: ['node:*', ...external],
    logLevel: 'silent',
  })
  const text = result.outputFiles[0]?.text ?? ''
  const imports = Object.values(result.metafile.outputs).flatMap((output) => output.imports.map(({ path }) => path))
  return { text, imports, gzip: gzipSync(text).length }
}

// Node's globals, read bare: each one a runtime without Node compatibility lacks.
const NODE_GLOBALS = ['Buffer', 'setImmediate', 'process', 'global', 'require', '__dirname', '__filename', 'module']
const nodeGlobalsIn = (text: string) => NODE_GLOBALS.filter((name) => new RegExp(`\\b${name}\\b`).test(text))

describe('an app on @herald/server/fetch, bundled for a neutral platform', () => {
  it('imports nothing from node: (tickets.ts and its node:crypto are shaken off)', async () => {
    const { text, imports } = await bundle(app())
    expect(imports).toEqual([])
    expect(text).not.toMatch(/["'`]node:/)
    expect(text).not.toMatch(/\brequire\s*\(/)
  })

  it('keeps node:crypto once the app uses createTickets, so the check above can fail', async () => {
    const { imports } = await bundle(app(`import { createTickets } from '@herald/server'\nexport { createTickets }`))
    expect(imports).toEqual(['node:crypto'])
  })

  it('reads no Node global but Buffer (edge runtimes need Node compatibility for it)', async () => {
    const { text, gzip } = await bundle(app(), ['zod'])
    // Buffer frames every block (format.ts, connection.ts, at import). Nothing else of Node's: the
    // buffer limit's deferred look at a slow reader is a timer, since Next's edge setImmediate throws.
    expect(nodeGlobalsIn(text)).toEqual(['Buffer'])
    // Herald's share of the bundle (zod left out), minified and gzipped: about 11 kB when written.
    expect(gzip).toBeLessThan(16_000)
  })
})
