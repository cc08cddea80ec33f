import { execFile } from 'node:child_process'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

// A typo in an event name must fail to compile with a message that lists the valid names,
// not the contract's expanded type. The message itself is what the user reads, so this runs
// the real `tsc` on a file with typos and reads its diagnostics.

const root = fileURLToPath(new URL('../../..', import.meta.url))
const tsc = join(root, 'node_modules/typescript/bin/tsc')

// One call per line; each line number is where tsc must report the typo.
const calls = [
  "channel.emit('agee', 24)",
  "client.on('agee', () => {})",
  "client.once('agee', () => {})",
  "client.off('agee', () => {})",
  "client.stream('agee')",
  "encodePayload(events, 'agee', 24)",
  "decodePayload(events, 'agee', '24')",
]
const header = [
  "import { decodePayload, defineEvents, encodePayload } from '@herald/schema'",
  "import { createChannel } from '@herald/server'",
  "import { createClient } from '@herald/client'",
  "import * as z from 'zod'",
  'const events = defineEvents({ name: z.string(), age: z.number(), time: z.date() })',
  'const channel = createChannel(events)',
  "const client = createClient(events, 'http://127.0.0.1:1/events')",
]

let dir = ''
let diagnostics: string[] = []

beforeAll(async () => {
  // Inside the repo, so `@herald/*` and zod resolve through the workspace's node_modules.
  const cache = join(root, 'node_modules/.cache')
  await mkdir(cache, { recursive: true })
  dir = await mkdtemp(join(cache, 'herald-typo-'))
  await writeFile(join(dir, 'typo.ts'), [...header, ...calls, ''].join('\n'))
  const tsconfig = {
    extends: relative(dir, join(root, 'tsconfig.base.json')),
    compilerOptions: { noEmit: true, noUnusedLocals: false },
    files: ['typo.ts'],
  }
  await writeFile(join(dir, 'tsconfig.json'), JSON.stringify(tsconfig))
  const result = await promisify(execFile)(process.execPath, [tsc, '-p', dir, '--pretty', 'false']).then(
    () => ({ stdout: '' }),
    (error: { stdout: string }) => error,
  )
  diagnostics = result.stdout.split('\n').filter((line) => line.includes('typo.ts('))
}, 60_000)

afterAll(async () => {
  if (dir !== '') await rm(dir, { recursive: true, force: true })
})

describe('the compile error for an unknown event name', () => {
  it.each(calls.map((call, index) => [call, header.length + index + 1] as const))('%s lists the names', (_, line) => {
    const found = diagnostics.filter((diagnostic) => diagnostic.includes(`typo.ts(${line},`))
    expect(found, diagnostics.join('\n')).toHaveLength(1)
    const message = found[0] ?? ''
    expect(message).toContain(`Argument of type '"agee"' is not assignable to parameter of type '`)
    // The parameter type is the union itself (in the compiler's order), not `EventName<…>`.
    const parameter = /parameter of type '(.*)'\.$/.exec(message)?.[1] ?? ''
    expect(parameter.split(' | ').sort()).toEqual(['"age"', '"name"', '"time"'])
  })

  it('reports nothing else in the file', () => {
    expect(diagnostics).toHaveLength(calls.length)
  })
})
