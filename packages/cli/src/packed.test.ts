import { execFile } from 'node:child_process'
import { chmodSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { basename, dirname, join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { killAll, PACKAGE_DIR, startCli } from './test-cli.ts'
import { type HeraldServer, serveHerald } from './test-servers.ts'

// The packed `herald` as a user gets it: @herald/cli, @herald/client and @herald/schema packed
// (prepack builds them) from a copy of their sources, so this working tree's dist/ is never
// touched, unpacked into a project outside the workspace, the bin linked as npm links it, and run
// through its shebang with a contract written in TypeScript next to it.

const REPO = join(PACKAGE_DIR, '../..')
const PACKED = ['schema', 'client', 'cli']
const run = promisify(execFile)

let work: string
let project: string
let server: HeraldServer | undefined
let files: string[]

/** The environment of a user's shell: no `npm_*` variables of an `npm test` parent, node on PATH. */
function userEnv(): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^npm_/i.test(key)))
  return { ...env, PATH: `${dirname(process.execPath)}:${env['PATH'] ?? ''}` }
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'herald-cli-'))
  const fresh = join(work, 'fresh')
  cpSync(join(REPO, 'tsconfig.base.json'), join(fresh, 'tsconfig.base.json'))
  symlinkSync(join(REPO, 'node_modules'), join(fresh, 'node_modules'), 'dir')
  const skip = new Set(['dist', 'node_modules'])
  project = join(work, 'project')
  const modules = join(project, 'node_modules')
  mkdirSync(join(modules, '@herald'), { recursive: true })
  await Promise.all(
    PACKED.map(async (name) => {
      const dir = join(fresh, 'packages', name)
      cpSync(join(REPO, 'packages', name), dir, { recursive: true, filter: (path) => !skip.has(basename(path)) })
      const { stdout } = await run('npm', ['pack', '--json', '--pack-destination', work], { cwd: dir, env: userEnv() })
      const [entry] = JSON.parse(stdout) as [{ filename: string; files: { path: string }[] }]
      if (name === 'cli') files = entry.files.map((file) => file.path)
      const target = join(modules, '@herald', name)
      mkdirSync(target)
      await run('tar', ['-xzf', join(work, entry.filename), '-C', target, '--strip-components=1'])
    }),
  )
  // What the user's project installed besides: zod, and tsx (a dependency of @herald/cli).
  for (const name of ['zod', 'tsx']) symlinkSync(join(REPO, 'node_modules', name), join(modules, name), 'dir')
  // The bin, as npm links it: node_modules/.bin/herald, executable.
  const bin = join(modules, '@herald/cli', 'dist/main.js')
  mkdirSync(join(modules, '.bin'))
  symlinkSync('../@herald/cli/dist/main.js', join(modules, '.bin/herald'))
  chmodSync(bin, 0o755)
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module' }))
  writeFileSync(
    join(project, 'events.ts'),
    [
      "import { defineEvents } from '@herald/schema'",
      "import * as z from 'zod'",
      '',
      'export const events = defineEvents({ age: z.number().int(), time: z.date() })',
      '',
    ].join('\n'),
  )
}, 240_000)

afterEach(async () => {
  await killAll()
  await server?.close()
  server = undefined
})

afterAll(() => {
  if (work !== undefined) rmSync(work, { recursive: true, force: true, maxRetries: 3 })
})

describe('the packed herald', () => {
  it('ships its bin with a shebang, its README and LICENSE, and no tests', () => {
    const main = readFileSync(join(project, 'node_modules/@herald/cli/dist/main.js'), 'utf8')
    expect(main.startsWith('#!/usr/bin/env node\n')).toBe(true)
    expect(files).toEqual(expect.arrayContaining(['dist/main.js', 'README.md', 'LICENSE', 'package.json']))
    expect(files.filter((path) => /(^|\/)test-|\.test(-d)?\./.test(path))).toEqual([])
  })

  it('tails a Herald stream with a TypeScript contract, and exits 0 on Ctrl-C', async () => {
    server = await serveHerald()
    const cli = startCli(['tail', server.url, '--events', './events.ts', '--json'], {
      command: [join(project, 'node_modules/.bin/herald')],
      cwd: project,
      env: userEnv(),
    })
    await cli.waitFor('stderr', /● open /)
    const id = server.channel.emit('age', 36)
    await cli.waitFor('stdout', /36/)
    cli.kill('SIGINT')
    expect(await cli.exited).toEqual({ code: 0, signal: null })
    expect(cli.stdout).toBe(`${JSON.stringify({ name: 'age', id, payload: 36 })}\n`)
  })
})
