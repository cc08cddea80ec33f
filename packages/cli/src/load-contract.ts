import { existsSync } from 'node:fs'
import { resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { type AnyEvents, HeraldError } from '@herald/client'
import { tsImport } from 'tsx/esm/api'

/**
 * True for a contract made by `defineEvents`, also by another copy of `@herald/schema` (the one the
 * user's project installed): it is recognised by its shape, as `createClient` checks it.
 */
export function isContract(value: unknown): value is AnyEvents {
  if (typeof value !== 'object' || value === null) return false
  const { names, specs, map, topics } = value as Partial<Record<keyof AnyEvents, unknown>>
  return (
    Array.isArray(names) &&
    specs instanceof Map &&
    typeof map === 'object' &&
    map !== null &&
    typeof topics === 'object' &&
    topics !== null
  )
}

/**
 * Imports `file` (TypeScript through tsx, or JavaScript) and returns the contract it exports: the
 * export named `exportName`, or else its only contract. Throws `INVALID_OPTIONS` when the file is
 * missing, fails to load, or does not export exactly one contract to choose.
 */
export async function loadContract(file: string, exportName: string | undefined): Promise<AnyEvents> {
  const path = resolve(file)
  if (!existsSync(path)) throw new HeraldError('INVALID_OPTIONS', `--events ${file}: no such file`)
  let module: Record<string, unknown>
  try {
    module = (await tsImport(pathToFileURL(path).href, import.meta.url)) as Record<string, unknown>
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error)
    throw new HeraldError('INVALID_OPTIONS', `--events ${file}: cannot load it: ${reason}`, { cause: error })
  }
  const exports = exportsOf(module)
  if (exportName !== undefined) {
    const value = exports.get(exportName)
    if (isContract(value)) return value
    const why = exports.has(exportName) ? 'is not a defineEvents() contract' : 'does not exist'
    throw new HeraldError('INVALID_OPTIONS', `--events ${file}: export '${exportName}' ${why}${listed(exports)}`)
  }
  const found = new Map<AnyEvents, string>()
  for (const [name, value] of exports) if (isContract(value) && !found.has(value)) found.set(value, name)
  const [first, ...others] = found
  if (first !== undefined && others.length === 0) return first[0]
  const why =
    first === undefined
      ? 'exports no defineEvents() contract'
      : `exports ${found.size} contracts (${[...found.values()].join(', ')}): choose one with --export <name>`
  throw new HeraldError('INVALID_OPTIONS', `--events ${file}: ${why}${first === undefined ? listed(exports) : ''}`)
}

// A CommonJS module (a .ts file in a project without "type": "module", compiled to CommonJS by tsx)
// arrives as a namespace whose `default` is `module.exports`: its properties are exports too.
function exportsOf(module: Record<string, unknown>): Map<string, unknown> {
  const exports = new Map(Object.entries(module))
  const fallback = module['default']
  if (typeof fallback === 'object' && fallback !== null && !isContract(fallback)) {
    for (const [name, value] of Object.entries(fallback)) if (!exports.has(name)) exports.set(name, value)
  }
  return exports
}

function listed(exports: ReadonlyMap<string, unknown>): string {
  const names = [...exports.keys()]
  return names.length === 0 ? ' (it has no exports)' : ` (its exports: ${names.join(', ')})`
}
