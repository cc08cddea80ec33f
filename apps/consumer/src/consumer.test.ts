import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  createProject,
  type ModuleMode,
  PACKAGES,
  packFresh,
  REPO,
  type Tarball,
  type Target,
  writeTsconfig,
} from './consumer-project.ts'
import { allSettled, run, serve } from './run.ts'

// Herald as a team outside this repo meets it: the packages packed from a fresh copy of the
// sources, installed as tarballs (with zod, Koa and the types from the registry) into projects
// under the OS temp dir, type-checked with `skipLibCheck: false` by TypeScript 7 and 5.9, then run.

const TYPESCRIPTS = { '7': join(REPO, 'node_modules/typescript/bin/tsc'), '5.9': 'node_modules/typescript/bin/tsc' }
const NODE_FILES = [
  'contract.ts',
  'server-koa.ts',
  'server-redis.ts',
  'server-fetch.ts',
  'client-node.ts',
  'client-api.ts',
]
const CJS_FILES = ['server-koa.cts', 'client-node.cts']
const BROWSER_FILES = ['contract.ts', 'client-api.ts', 'client-browser.ts', 'client-react.ts']
/** TypeScript 5.9 takes seconds per project, and more on a busy machine. */
const SLOW = 120_000

let work: string
let app: string // Koa, @koa/router, their types, TypeScript 5.9
let bare: string // only what a plain node:http server needs: no Koa
let tarballs: Tarball[]

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'herald-consumer-'))
  app = join(work, 'app')
  bare = join(work, 'bare')
  tarballs = await packFresh(work)
  const packed = tarballs.map((tarball) => tarball.path)
  await allSettled([
    createProject(app, [
      ...packed,
      'zod@^4',
      'koa@^3',
      '@koa/router@^15',
      '@types/koa@^3',
      '@types/node@^20.19',
      'redis@^6',
      'react@^19',
      '@types/react@^19',
      'typescript@5.9',
    ]),
    createProject(bare, [...packed, 'zod@^4', '@types/node@^20.19']),
  ])
  // What runs below is what TypeScript 7 emits for Node (nodenext): ESM `.js` and CommonJS `.cjs`.
  // Type errors still emit; the type-checks below report them, each in its own cell.
  const emit = async (dir: string, files: string[]) => {
    const config = writeTsconfig(dir, { target: 'node', mode: 'nodenext', files, outDir: 'out' })
    await run(process.execPath, [TYPESCRIPTS['7'], '-p', config], { cwd: dir })
  }
  await allSettled([
    emit(app, ['contract.ts', 'server-koa.ts', 'client-node.ts', ...CJS_FILES]),
    emit(bare, ['contract.ts', 'server-http.ts', 'server-fetch.ts', 'client-node.ts']),
  ])
}, 300_000)

afterAll(() => {
  if (work !== undefined) rmSync(work, { recursive: true, force: true, maxRetries: 3 })
})

/** Every file an `exports` or `imports` map points at, under any condition. */
function mapTargets(map: unknown): string[] {
  if (typeof map === 'string') return [map.replace(/^\.\//, '')]
  if (typeof map !== 'object' || map === null) return []
  return Object.values(map).flatMap(mapTargets)
}

describe('the packed tarballs', () => {
  it('ship what their exports point at, a README and the MIT LICENSE, and no tests or test helpers', () => {
    expect(tarballs.map((tarball) => tarball.name)).toEqual(PACKAGES.map((name) => `@herald/${name}`))
    for (const tarball of tarballs) {
      const paths = tarball.files.map((file) => file.path)
      const manifest = JSON.parse(readFileSync(join(tarball.dir, 'package.json'), 'utf8')) as Record<string, unknown>
      const targets = [...mapTargets(manifest['exports']), ...mapTargets(manifest['imports'])]
      expect(targets, tarball.name).toContain('dist/index.js')
      expect(targets, tarball.name).toContain('dist/index.d.ts')
      for (const target of targets) expect(paths, `${tarball.name} ${target}`).toContain(target)
      expect(paths, tarball.name).toEqual(expect.arrayContaining(['package.json', 'README.md', 'LICENSE']))
      expect(
        paths.filter((path) => /(^|\/)test-|\.test(-d)?\./.test(path)),
        tarball.name,
      ).toEqual([])
      expect(paths.filter((path) => !/^(dist|src)\/|^(package\.json|README\.md|LICENSE)$/.test(path))).toEqual([])
    }
  })

  it('install with their README and MIT LICENSE', () => {
    for (const name of PACKAGES) {
      const dir = join(app, 'node_modules/@herald', name)
      const license = readFileSync(join(dir, 'LICENSE'), 'utf8')
      expect(license).toMatch(/^MIT License\n\nCopyright \(c\) \d{4} Herald contributors\n/)
      expect(JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'))).toMatchObject({ license: 'MIT' })
      expect(readFileSync(join(dir, 'README.md'), 'utf8')).toContain(`npm install @herald/${name}`)
    }
  })

  it.each(PACKAGES)(
    '@herald/%s: npm publish --dry-run is clean',
    async (name) => {
      const tarball = tarballs.find((each) => each.name === `@herald/${name}`)
      const published = await run('npm', ['publish', '--dry-run'], { cwd: tarball?.dir ?? '' })
      expect(published.code, published.stderr).toBe(0)
      // The one warning left is that nobody is logged in, which a dry run does not need.
      const warnings = published.stderr.split('\n').filter((line) => /^npm warn/i.test(line))
      expect(warnings.filter((line) => !/requires you to be logged in/.test(line))).toEqual([])
      expect(published.stderr).toMatch(/Publishing to \S+ with tag latest and public access/)
      for (const file of ['LICENSE', 'README.md', 'dist/index.d.ts', 'dist/index.js', 'package.json']) {
        expect(published.stderr).toMatch(new RegExp(`npm notice [\\d.]+k?B ${file.replaceAll('.', '\\.')}\\n`))
      }
    },
    SLOW,
  )
})

describe('type-checking a user project (strict, skipLibCheck: false)', () => {
  it(
    'uses TypeScript 7 and TypeScript 5.9',
    async () => {
      const versions = await Promise.all(
        Object.values(TYPESCRIPTS).map((tsc) => run(process.execPath, [tsc, '--version'], { cwd: app })),
      )
      expect(versions.map((version) => version.stdout.trim())).toEqual([
        expect.stringMatching(/^Version 7\./),
        expect.stringMatching(/^Version 5\.9\./),
      ])
    },
    SLOW,
  )

  for (const version of ['7', '5.9'] as const) {
    for (const mode of ['nodenext', 'bundler'] satisfies ModuleMode[]) {
      for (const target of ['node', 'browser'] satisfies Target[]) {
        it(
          `TypeScript ${version}, ${mode}, ${target}-only`,
          async () => {
            // CommonJS is checked where Node runs it (nodenext); a browser-only project has no server.
            const files =
              target === 'browser' ? BROWSER_FILES : mode === 'nodenext' ? [...NODE_FILES, ...CJS_FILES] : NODE_FILES
            const config = writeTsconfig(app, { target, mode, files })
            const checked = await run(process.execPath, [TYPESCRIPTS[version], '-p', config], { cwd: app })
            expect(checked.stdout + checked.stderr).toBe('')
            expect(checked.code).toBe(0)
          },
          SLOW,
        )
      }
    }
  }

  it.each(['7', '5.9'] as const)(
    'TypeScript %s: a node:http server needs no Koa',
    async (version) => {
      expect(existsSync(join(bare, 'node_modules/koa'))).toBe(false)
      expect(existsSync(join(bare, 'node_modules/@types/koa'))).toBe(false)
      const config = writeTsconfig(bare, {
        target: 'node',
        mode: 'nodenext',
        files: ['contract.ts', 'server-http.ts', 'server-fetch.ts', 'client-node.ts'],
      })
      const tsc = version === '7' ? TYPESCRIPTS['7'] : join(app, TYPESCRIPTS['5.9'])
      const checked = await run(process.execPath, [tsc, '-p', config], { cwd: bare })
      expect(checked.stdout + checked.stderr).toBe('')
      expect(checked.code).toBe(0)
    },
    SLOW,
  )
})

describe('running the user project on Node', () => {
  /** Serves `server` from `dir`, runs `client` against it and returns what the client printed. */
  async function flow(dir: string, server: string, client: string) {
    const served = await serve(server, dir)
    try {
      const url = `http://127.0.0.1:${served.port}/events`
      const result = await run(process.execPath, [client, url], { cwd: dir, timeoutMs: 60_000 })
      return { ...result, serverErrors: served.stderr() }
    } finally {
      await served.stop()
    }
  }

  it(
    `ESM: the Koa server streams typed events to the Node client over a real port (Node ${process.version})`,
    async () => {
      const result = await flow(app, 'out/server-koa.js', 'out/client-node.js')
      expect(result).toEqual({ code: 0, stdout: 'received 3 ticks\n', stderr: '', serverErrors: '' })
    },
    SLOW,
  )

  it(
    'CommonJS: require() of the packages works without a flag',
    async () => {
      const server = readFileSync(join(app, 'out/server-koa.cjs'), 'utf8')
      const client = readFileSync(join(app, 'out/client-node.cjs'), 'utf8')
      expect(server).toContain('require("@herald/server")')
      expect(server).toContain('require("@herald/server/koa")')
      expect(client).toContain('require("@herald/client")')
      expect(client).toContain('require("./contract.js")')
      const result = await flow(app, 'out/server-koa.cjs', 'out/client-node.cjs')
      expect(result).toEqual({ code: 0, stdout: 'received 3 ticks\n', stderr: '', serverErrors: '' })
    },
    SLOW,
  )

  it(
    'a plain node:http server, with no Koa installed, streams to the Node client',
    async () => {
      const result = await flow(bare, 'out/server-http.js', 'out/client-node.js')
      expect(result).toEqual({ code: 0, stdout: 'received 3 ticks\n', stderr: '', serverErrors: '' })
    },
    SLOW,
  )

  it(
    'a Fetch handler (@herald/server/fetch), with no framework installed, streams a Response',
    async () => {
      const result = await run(process.execPath, ['out/server-fetch.js'], { cwd: bare, timeoutMs: 60_000 })
      expect(result).toEqual({
        code: 0,
        stdout: 'text/event-stream; charset=utf-8: received 3 ticks, 0 open after abort\n',
        stderr: '',
      })
    },
    SLOW,
  )
})
