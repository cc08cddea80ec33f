import { spawn } from 'node:child_process'
import { createServer } from 'node:net'
import { expect, it } from 'vitest'

// `npm start` runs src/main.ts: the port comes from PORT, and a bad or busy one is a clear message.

/**
 * Runs src/main.ts with `PORT` set and resolves with how it exited. Once it prints its stream URL,
 * `whileUp` runs with it, and then the process gets SIGINT.
 */
function runMain(port: string, whileUp?: (streamUrl: string) => Promise<void>) {
  const args = ['--conditions=@herald/source', '--import', 'tsx', 'src/main.ts']
  const child = spawn(process.execPath, args, {
    cwd: new URL('..', import.meta.url),
    env: { ...process.env, PORT: port },
  })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString()
    const url = /stream: (\S+)\)/.exec(stdout)?.[1]
    if (url !== undefined && whileUp !== undefined) {
      const run = whileUp
      whileUp = undefined
      void run(url).finally(() => child.kill('SIGINT'))
    }
  })
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString()
  })
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    child.once('exit', (code) => resolve({ code, stdout, stderr }))
  })
}

it('listens on PORT, serves the stream, and exits cleanly on SIGINT', async () => {
  let opening = ''
  const result = await runMain('0', async (url) => {
    const controller = new AbortController()
    const response = await fetch(url, { signal: controller.signal })
    const reader = response.body?.getReader()
    opening = new TextDecoder().decode((await reader?.read())?.value)
    controller.abort()
  })
  expect(result.stdout).toMatch(
    /^Herald example on http:\/\/localhost:\d+ {2}\(stream: http:\/\/localhost:\d+\/events\)$/m,
  )
  expect(opening).toContain('event: herald:hello\n')
  expect(result.code).toBe(0)
})

it.each(['abc', '-1', '70000', '3.5'])('PORT=%s: exits 1 with what PORT must be', async (port) => {
  const result = await runMain(port)
  expect(result.code).toBe(1)
  expect(result.stderr).toBe(`PORT must be a port number from 0 to 65535, got ${JSON.stringify(port)}\n`)
})

it('a port in use: exits 1 and says so', async () => {
  const blocker = createServer()
  await new Promise<void>((resolve) => blocker.listen(0, resolve))
  const { port } = blocker.address() as { port: number }
  try {
    const result = await runMain(String(port))
    expect(result.code).toBe(1)
    expect(result.stderr).toBe(`Herald example: port ${port} is in use; set PORT to another one\n`)
  } finally {
    blocker.close()
  }
})
