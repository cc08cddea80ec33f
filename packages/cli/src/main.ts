#!/usr/bin/env node
import { readFileSync } from 'node:fs'
import { HELP, parseCommand } from './args.ts'

// The `herald` command. Exit codes: 0 when stopped (Ctrl-C, SIGTERM) or the stream ended; 1 on a
// refused stream, a --strict validation error or a failure; 2 on bad usage.

/** The errors that mean the command line (or the contract it names) is wrong: exit 2. */
const USAGE_CODES = new Set(['INVALID_OPTIONS', 'INVALID_TOPIC', 'UNKNOWN_EVENT'])

function usage(message: string): number {
  process.stderr.write(`herald: ${message}\nRun 'herald --help' for usage.\n`)
  return 2
}

async function run(argv: readonly string[], signal: AbortSignal): Promise<number> {
  const command = parseCommand(argv)
  switch (command.kind) {
    case 'usage':
      return usage(command.message)
    case 'help':
      process.stdout.write(HELP)
      return 0
    case 'version': {
      const manifest = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'))
      process.stdout.write(`${(manifest as { version: string }).version}\n`)
      return 0
    }
  }
  // Loaded only to tail, so help and usage errors answer at once.
  const [{ isHeraldError }, { loadContract }, { tail }] = await Promise.all([
    import('@herald/client'),
    import('./load-contract.ts'),
    import('./tail.ts'),
  ])
  try {
    const { args } = command
    const events = await loadContract(args.eventsFile, args.exportName)
    return await tail(events, args, { stdout: process.stdout, stderr: process.stderr, env: process.env, signal })
  } catch (error) {
    if (isHeraldError(error) && USAGE_CODES.has(error.code)) return usage(error.message)
    process.stderr.write(`herald: ${error instanceof Error ? error.message : String(error)}\n`)
    return 1
  }
}

const stopping = new AbortController()
const stop = () => stopping.abort()
process.once('SIGINT', stop)
process.once('SIGTERM', stop)
// `herald tail … | head -3`: once the reader is gone, stop as after Ctrl-C.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code !== 'EPIPE') throw error
  stop()
})

const code = await run(process.argv.slice(2), stopping.signal)
process.off('SIGINT', stop)
process.off('SIGTERM', stop)
// Exit once stdout and stderr are flushed, even if the contract's module left a timer or a socket
// open: a tail that was told to stop must stop.
const flushed = (stream: NodeJS.WriteStream) => new Promise<void>((resolve) => stream.write('', () => resolve()))
await Promise.all([flushed(process.stdout), flushed(process.stderr)])
process.exit(code)
