import { cpSync, mkdirSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs'
import { basename, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { allSettled, run } from './run.ts'

/** The workspace root. */
export const REPO = fileURLToPath(new URL('../../..', import.meta.url))
/** The user's source files, copied into each temporary project. */
export const FIXTURES = fileURLToPath(new URL('../fixtures', import.meta.url))
/** The published packages, in dependency order. */
export const PACKAGES = ['schema', 'server', 'client', 'redis', 'react'] as const

/** One file of a packed tarball, as `npm pack --json` lists it. */
export interface PackedFile {
  readonly path: string
}

/** A tarball made by `packFresh`. */
export interface Tarball {
  readonly name: string
  readonly path: string
  readonly files: readonly PackedFile[]
  /** The package's directory in the fresh copy, to run `npm publish --dry-run` in. */
  readonly dir: string
}

/**
 * Packs each package from a copy of the sources without any `dist/`, as a fresh clone has them:
 * what the tarball ships must come from its own `prepack`. The copy shares the workspace's
 * node_modules for the build tools, and the working tree's own `dist/` is never touched.
 */
export async function packFresh(into: string): Promise<Tarball[]> {
  const fresh = join(into, 'fresh')
  const tarballs = join(into, 'tarballs')
  mkdirSync(tarballs, { recursive: true })
  cpSync(join(REPO, 'tsconfig.base.json'), join(fresh, 'tsconfig.base.json'))
  symlinkSync(join(REPO, 'node_modules'), join(fresh, 'node_modules'), 'dir')
  const skip = new Set(['dist', 'node_modules'])
  for (const name of PACKAGES) {
    cpSync(join(REPO, 'packages', name), join(fresh, 'packages', name), {
      recursive: true,
      filter: (source) => !skip.has(basename(source)) && !basename(source).startsWith('.'),
    })
  }
  return allSettled(
    PACKAGES.map(async (name) => {
      const dir = join(fresh, 'packages', name)
      const packed = await run('npm', ['pack', '--json', '--pack-destination', tarballs], { cwd: dir })
      if (packed.code !== 0) throw new Error(`npm pack of @herald/${name} failed:\n${packed.stderr}`)
      const [entry] = JSON.parse(packed.stdout) as [{ filename: string; files: PackedFile[] }]
      return { name: `@herald/${name}`, path: join(tarballs, entry.filename), files: entry.files, dir }
    }),
  )
}

/** Creates a user's project in `dir` (ESM, `type: module`) holding the fixtures, and installs `specs` into it. */
export async function createProject(dir: string, specs: readonly string[]): Promise<void> {
  mkdirSync(dir, { recursive: true })
  writeFileSync(
    join(dir, 'package.json'),
    `${JSON.stringify({ name: basename(dir), private: true, type: 'module' }, null, 2)}\n`,
  )
  for (const file of readdirSync(FIXTURES)) cpSync(join(FIXTURES, file), join(dir, file))
  const args = ['install', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=warn', ...specs]
  const installed = await run('npm', args, { cwd: dir, timeoutMs: 150_000 })
  if (installed.code !== 0) throw new Error(`npm install failed in ${dir}:\n${installed.stderr}`)
}

/** The environments a consumer compiles for. */
export type Target = 'node' | 'browser'

/** The module settings a consumer compiles with. */
export type ModuleMode = 'nodenext' | 'bundler'

/**
 * Writes the tsconfig of one cell of the matrix and returns its file name. Node-only: the ES2022
 * lib and `@types/node`, no DOM. Browser-only: the DOM lib and no `@types/*` at all, and with a
 * bundler the `browser` condition a browser bundler resolves. Strict, and with
 * `skipLibCheck: false`, so every declaration file of the packages is checked too.
 */
export function writeTsconfig(
  dir: string,
  cell: { target: Target; mode: ModuleMode; files: readonly string[]; outDir?: string },
): string {
  const file = `tsconfig.${cell.target}.${cell.mode}${cell.outDir === undefined ? '' : '.emit'}.json`
  const modules =
    cell.mode === 'nodenext'
      ? { module: 'nodenext', moduleResolution: 'nodenext' }
      : { module: 'esnext', moduleResolution: 'bundler' }
  const environment =
    cell.target === 'node'
      ? { lib: ['es2022'], types: ['node'] }
      : { lib: ['dom', 'es2022'], types: [], ...(cell.mode === 'bundler' ? { customConditions: ['browser'] } : {}) }
  const emit = cell.outDir === undefined ? { noEmit: true } : { outDir: cell.outDir }
  const compilerOptions = { target: 'es2022', ...modules, ...environment, strict: true, skipLibCheck: false, ...emit }
  writeFileSync(join(dir, file), `${JSON.stringify({ compilerOptions, files: cell.files }, null, 2)}\n`)
  return file
}
