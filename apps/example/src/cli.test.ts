import { spawn } from 'node:child_process'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { type ExampleServer, startServer } from './server.ts'

let server: ExampleServer
beforeAll(async () => {
  server = await startServer({ port: 0, tickMs: 100 })
})
afterAll(() => server?.close())

it('the Node client prints the typed events', async () => {
  // The source condition makes the CLI load the packages' sources, as the tests do, not their builds.
  const args = ['--conditions=@herald/source', '--import', 'tsx', 'src/cli.ts', `${server.url}/events`]
  const child = spawn(process.execPath, args, {
    cwd: new URL('..', import.meta.url),
  })
  let output = ''
  child.stdout.on('data', (chunk: Buffer) => {
    output += chunk.toString()
  })
  try {
    const lines = [
      /^\[open\]$/m,
      /^time {2}\d{1,2}:\d\d:\d\d/m,
      /^name {2}(Alice|Bob|Chen)$/m,
      /^age {3}\d+ \(next year \d+\)$/m,
    ]
    await expect.poll(() => lines.filter((line) => !line.test(output)), { timeout: 10_000 }).toEqual([])
    expect(output).not.toContain('[error')
  } finally {
    child.kill('SIGINT')
  }
  const code = await new Promise((resolve) => child.once('exit', resolve))
  expect(code).toBe(0)
})
