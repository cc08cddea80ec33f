import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'
import { existsSync, readdirSync } from 'node:fs'
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises'
import { createConnection, createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { launchChromium } from '../../../scripts/chromium.mjs'
import { bundleForBrowser, runInBrowser } from './run-browser.ts'
import { EXEMPT, readSnippets, type Snippet, TYPESCRIPT } from './snippets.ts'

// Docs that cannot rot: every TypeScript block of README.md, docs/*.md and packages/*/README.md
// is written to a temporary project and type-checked with the repository's tsc, and the blocks
// marked `run` are executed against a real server on a real port: with Node, or bundled by
// esbuild in headless Chromium (`run=browser`). The info-string convention is described in
// snippets.ts.
//
// The project is strict (the repository's tsconfig.base.json: strict, exactOptionalPropertyTypes,
// noUncheckedIndexedAccess, nodenext) minus three settings a reader's own code rarely has and a
// fragment cannot satisfy: noUnusedLocals, noUnusedParameters, noPropertyAccessFromIndexSignature.
// `@herald/*` resolve to the packages' sources (the `@herald/source` condition), so no build is
// needed; every other import resolves from the repository's node_modules, as in a user's project.

const root = fileURLToPath(new URL('../../../', import.meta.url))
const preludes = fileURLToPath(new URL('../preludes/', import.meta.url))

/** Where each written file came from, to point a compiler error at its page and line. */
interface Written {
  readonly snippet: Snippet
  readonly path: string
  /** Lines of prelude before the snippet's first line. */
  readonly offset: number
}

let dir = ''
const pages: { page: string; snippets: Snippet[] }[] = []
const written: Written[] = []
let diagnostics: { page: string; text: string }[] = []

async function readPages() {
  for (const page of pagesToCheck()) {
    pages.push({ page, snippets: readSnippets(page, await readFile(join(root, page), 'utf8')) })
  }
}

async function writeProject() {
  dir = await mkdtemp(join(tmpdir(), 'herald-docs-'))
  await symlink(join(root, 'node_modules'), join(dir, 'node_modules'), 'dir')
  const tsconfig = {
    extends: join(root, 'tsconfig.base.json'),
    compilerOptions: {
      rootDir: '.',
      noEmit: true,
      noUnusedLocals: false,
      noUnusedParameters: false,
      noPropertyAccessFromIndexSignature: false,
      jsx: 'react-jsx',
    },
    include: ['**/*.ts', '**/*.tsx'],
  }
  await writeFile(join(dir, 'tsconfig.json'), JSON.stringify(tsconfig, null, 2))
  await writeFile(join(dir, 'package.json'), JSON.stringify({ type: 'module', private: true }))
  for (const { page, snippets } of pages) {
    const folder = join(dir, page.replace(/[^\w]+/g, '-'))
    await mkdir(folder)
    const names = new Set<string>()
    for (const snippet of snippets.filter((s) => TYPESCRIPT.has(s.lang))) {
      const name = snippet.file ?? `block-${snippet.line}.${snippet.lang}`
      if (names.has(name)) throw new Error(`${page}:${snippet.line}: a second block named ${name}`)
      names.add(name)
      const prelude =
        snippet.prelude === undefined ? '' : await readFile(join(preludes, `${snippet.prelude}.ts`), 'utf8')
      // A block without import or export would be a script, sharing one global scope with the others.
      const module = /^(import|export) /m.test(prelude + snippet.code) ? '' : 'export {}\n'
      const path = join(folder, name)
      await writeFile(path, prelude + snippet.code + module)
      written.push({ snippet, path, offset: prelude.split('\n').length - 1 })
    }
  }
}

/** Runs tsc over the project; returns its diagnostics, each pointed at the page line it concerns. */
async function typeCheck() {
  const tsc = spawn(join(root, 'node_modules/.bin/tsc'), ['-p', join(dir, 'tsconfig.json'), '--pretty', 'false'])
  let output = ''
  tsc.stdout.on('data', (chunk: Buffer) => {
    output += chunk
  })
  tsc.stderr.on('data', (chunk: Buffer) => {
    output += chunk
  })
  await once(tsc, 'close')
  return output
    .split('\n')
    .filter((line) => line.trim() !== '' && !line.startsWith(' '))
    .map((line) => {
      const match = /^(.+?)\((\d+),(\d+)\): (.*)$/.exec(line)
      const file =
        match === null
          ? undefined
          : written.find((w) => join(dir, match[1] as string) === w.path || match[1] === w.path)
      if (match === null || file === undefined) return { page: 'elsewhere', text: line }
      const at = Number(match[2]) - file.offset
      const where = at < 1 ? 'its prelude' : `${file.snippet.page}:${file.snippet.line + at - 1}:${match[3]}`
      return { page: file.snippet.page, text: `${where}: ${match[4]}` }
    })
}

beforeAll(async () => {
  await readPages()
  await writeProject()
  diagnostics = await typeCheck()
}, 120_000)

/** Chromium, launched for the first page with a `run=browser` block. */
let browser: Promise<Browser> | undefined

afterAll(async () => {
  await browser?.then(
    (chromium) => chromium.close(),
    () => undefined,
  )
  if (dir !== '') await rm(dir, { recursive: true, force: true })
})

it('reads README.md, the docs/ pages and each package README', () => {
  expect(pages.map((p) => p.page)).toContain('README.md')
  expect(pages.map((p) => p.page)).toContain('packages/server/README.md')
  expect(pages.length).toBeGreaterThan(5)
})

it('every code block is TypeScript to check, or of a language the test exempts', () => {
  const unknown = pages.flatMap(({ snippets }) =>
    snippets
      .filter((s) => !TYPESCRIPT.has(s.lang) && !EXEMPT.has(s.lang))
      .map((s) => `${s.page}:${s.line - 1}: '${s.lang}'`),
  )
  expect(unknown).toEqual([])
})

it('type-checks cleanly outside the pages too (the packages, as the blocks see them)', () => {
  expect(diagnostics.filter((d) => d.page === 'elsewhere').map((d) => d.text)).toEqual([])
})

describe.each(pagesToCheck())('%s', (page) => {
  it('every ts and tsx block type-checks', () => {
    expect(diagnostics.filter((d) => d.page === page).map((d) => d.text)).toEqual([])
  })

  it('every run block runs against a real server', async () => {
    const runnable = written.filter((w) => w.snippet.page === page && w.snippet.run !== undefined)
    for (const group of byServer(runnable)) await runGroup(page, group)
  }, 90_000)
})

/**
 * The page's run blocks, in groups that each start at a `run=server` block (but the first, whose
 * blocks may have no server), so that each server has a port, and run blocks, of its own.
 */
function byServer(runnable: Written[]): Written[][] {
  const groups: Written[][] = [[]]
  for (const file of runnable) {
    if (file.snippet.run === 'server' && (groups.at(-1)?.length ?? 0) > 0) groups.push([])
    groups.at(-1)?.push(file)
  }
  return groups
}

/** Starts the group's server on a free port, runs its blocks in order against it, and stops it. */
async function runGroup(page: string, group: Written[]) {
  const port = await freePort()
  const env = { ...process.env, PORT: String(port) }
  const servers = group.filter((w) => w.snippet.run === 'server').map((w) => start(w, env))
  try {
    for (const server of servers) await listening(port, server)
    for (const file of group) {
      if (file.snippet.run === 'script') {
        const result = await finished(start(file, env), 20_000)
        expect(result, `${page}:${file.snippet.line}: ${result.output}`).toMatchObject({ code: 0 })
      } else if (file.snippet.run === 'browser') {
        const failure = await runBlockInBrowser(file, port)
        expect(failure, `${page}:${file.snippet.line}: ${failure}`).toBeUndefined()
      }
    }
  } finally {
    for (const server of servers) server.child.kill('SIGTERM')
  }
  for (const server of servers) {
    const result = await finished(server, 5000)
    expect(result, `${page}:${server.snippet.line}: on SIGTERM: ${result.output}`).toMatchObject({ code: 0 })
  }
}

/** Bundles a `run=browser` block and runs it in Chromium on the group's origin; `undefined` when it passed. */
async function runBlockInBrowser(file: Written, port: number): Promise<string | undefined> {
  let bundle: Awaited<ReturnType<typeof bundleForBrowser>>
  try {
    bundle = await bundleForBrowser(file.path)
  } catch (error) {
    return `bundling failed: ${error instanceof Error ? error.message : String(error)}`
  }
  browser ??= launchChromium()
  return runInBrowser(await browser, {
    origin: `http://127.0.0.1:${port}`,
    bundle,
    timeoutMs: 20_000,
    where(path, line, column) {
      const from = written.find((w) => w.path === path)
      const at = from === undefined ? 0 : line - from.offset
      return from === undefined || at < 1 ? undefined : `${from.snippet.page}:${from.snippet.line + at - 1}:${column}`
    },
  })
}

/**
 * The pages, listed synchronously: vitest builds the test tree before any hook runs. The README,
 * every page of docs/, and each package's README (what npm shows).
 */
function pagesToCheck(): string[] {
  const docs = join(root, 'docs')
  const names = existsSync(docs) ? readdirSync(docs).filter((name) => name.endsWith('.md')) : []
  const packages = readdirSync(join(root, 'packages'))
    .filter((name) => existsSync(join(root, 'packages', name, 'README.md')))
    .sort()
  return [
    'README.md',
    ...names.sort().map((name) => `docs/${name}`),
    ...packages.map((name) => `packages/${name}/README.md`),
  ]
}

interface Running {
  readonly snippet: Snippet
  readonly child: ChildProcess
  output: string
}

function start(file: Written, env: NodeJS.ProcessEnv): Running {
  const child = spawn(process.execPath, ['--conditions=@herald/source', '--import', 'tsx', file.path], {
    cwd: join(file.path, '..'),
    env,
  })
  const running: Running = { snippet: file.snippet, child, output: '' }
  const collect = (chunk: Buffer) => {
    running.output = (running.output + chunk.toString()).slice(-4000)
  }
  child.stdout?.on('data', collect)
  child.stderr?.on('data', collect)
  return running
}

async function finished(running: Running, ms: number): Promise<{ code: number | null; output: string }> {
  const { child } = running
  if (child.exitCode === null && child.signalCode === null) {
    const timer = setTimeout(() => child.kill('SIGKILL'), ms)
    await once(child, 'exit')
    clearTimeout(timer)
  }
  return { code: child.exitCode, output: running.output }
}

/** Resolves once `port` accepts connections; rejects if the server exits first or after 20 s. */
async function listening(port: number, server: Running): Promise<void> {
  const until = Date.now() + 20_000
  while (Date.now() < until) {
    if (server.child.exitCode !== null)
      throw new Error(`${server.snippet.page}:${server.snippet.line} exited: ${server.output}`)
    const up = await new Promise<boolean>((resolve) => {
      const socket = createConnection(port, '127.0.0.1')
      socket.once('connect', () => resolve(true)).once('error', () => resolve(false))
      setTimeout(() => socket.destroy(), 200)
    })
    if (up) return
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  throw new Error(`${server.snippet.page}:${server.snippet.line} never listened on ${port}: ${server.output}`)
}

async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address() as { port: number }
  await new Promise((resolve) => server.close(resolve))
  return port
}
