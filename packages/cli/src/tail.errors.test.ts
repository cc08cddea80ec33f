import { fileURLToPath } from 'node:url'
import { afterEach, describe, expect, it } from 'vitest'
import { CONTRACT, killAll, startCli } from './test-cli.ts'
import { serveHerald, serveRaw } from './test-servers.ts'

// How `herald tail` ends: validation errors with and without --strict (a raw SSE server sends
// what a Herald channel never would), refused streams, and bad usage.

const closers: (() => Promise<void>)[] = []

afterEach(async () => {
  await killAll()
  await Promise.all(closers.splice(0).map((close) => close()))
})

const BAD_THEN_GOOD = [
  'event: age\nid: 1\ndata: "not a number"\n\n',
  'event: surprise\nid: 2\ndata: 1\n\n',
  'event: age\nid: 3\ndata: 7\n\n',
].join('')

async function raw(body: string): Promise<string> {
  const server = await serveRaw(body)
  closers.push(server.close)
  return server.url
}

describe('validation errors', () => {
  it('go to stderr and the tail carries on without --strict', async () => {
    const url = await raw(BAD_THEN_GOOD)
    const cli = startCli(['tail', url, '--events', CONTRACT, '--json'])
    await cli.waitFor('stdout', /"payload":7/)
    cli.kill('SIGINT')
    expect(await cli.exited).toEqual({ code: 0, signal: null })
    expect(cli.stdout).toBe('{"name":"age","id":"3","payload":7}\n')
    expect(cli.stderr).toMatch(/ DECODE_FAILED event 'age': .*expected number/)
    expect(cli.stderr).toMatch(/ UNKNOWN_EVENT event 'surprise': not in the event map/)
  })

  it('--strict exits 1 on the first one, after printing it', async () => {
    const url = await raw(BAD_THEN_GOOD)
    const cli = startCli(['tail', url, '--events', CONTRACT, '--strict'])
    expect(await cli.exited).toEqual({ code: 1, signal: null })
    expect(cli.stdout).toBe('')
    expect(cli.stderr).toMatch(/ DECODE_FAILED event 'age': .*expected number/)
    expect(cli.stderr).not.toContain('UNKNOWN_EVENT')
  })

  it('--strict exits 1 on an event outside the contract', async () => {
    const url = await raw('event: surprise\nid: 1\ndata: 1\n\n')
    const cli = startCli(['tail', url, '--events', CONTRACT, '--strict'])
    expect(await cli.exited).toEqual({ code: 1, signal: null })
    expect(cli.stderr).toMatch(/ UNKNOWN_EVENT event 'surprise'/)
  })

  it('--strict ignores the events --event leaves out', async () => {
    const url = await raw(BAD_THEN_GOOD.replaceAll('event: age', 'event: name'))
    const cli = startCli(['tail', url, '--events', CONTRACT, '--strict', '--event', 'age', '--json'])
    await cli.waitFor('stderr', /open/)
    await new Promise((resolve) => setTimeout(resolve, 300))
    cli.kill('SIGINT')
    expect(await cli.exited).toEqual({ code: 0, signal: null })
    expect(cli.stderr).not.toMatch(/DECODE_FAILED|UNKNOWN_EVENT/)
  })
})

describe('refused streams', () => {
  it('exit 1 with the message on a 401', async () => {
    const server = await serveHerald({ token: 'secret' })
    closers.push(server.close)
    const cli = startCli(['tail', server.url, '--events', CONTRACT, '--header', 'authorization: Bearer wrong'])
    expect(await cli.exited).toEqual({ code: 1, signal: null })
    expect(cli.stderr).toContain(`CONNECTION_FAILED ${server.url}: HTTP 401; not retrying`)
    expect(cli.stdout).toBe('')
  })

  it('exit 1 on a 404', async () => {
    const server = await serveHerald()
    closers.push(server.close)
    const cli = startCli(['tail', server.url.replace('/events', '/nothing'), '--events', CONTRACT])
    expect(await cli.exited).toEqual({ code: 1, signal: null })
    expect(cli.stderr).toContain('HTTP 404')
  })
})

describe('usage', () => {
  const usage = async (args: string[], message: RegExp | string) => {
    const cli = startCli(args)
    expect(await cli.exited, cli.stderr).toEqual({ code: 2, signal: null })
    expect(cli.stderr).toMatch(message)
    expect(cli.stderr).toContain("Run 'herald --help' for usage.")
    expect(cli.stdout).toBe('')
  }
  const url = 'http://127.0.0.1:9/events'

  it('--help prints the usage on stdout and exits 0', async () => {
    const cli = startCli(['--help'])
    expect(await cli.exited).toEqual({ code: 0, signal: null })
    expect(cli.stdout).toMatch(/^Usage: herald tail <url> --events <file>/)
    expect(cli.stdout).toContain('--strict')
  })

  it('exits 2 on bad arguments', async () => {
    await Promise.all([
      usage([], 'a command is required'),
      usage(['watch', url], "unknown command 'watch'"),
      usage(['tail', url], '--events <file> is required'),
      usage(['tail', 'localhost:3000', '--events', CONTRACT], 'is not an http or https URL'),
      usage(['tail', url, '--events', CONTRACT, '--evnt', 'age'], "unknown option '--evnt'"),
      usage(['tail', url, '--events', CONTRACT, '--header', 'no colon'], "--header 'no colon': expected 'name: value'"),
    ])
  })

  it('exits 2 on an --event or a --topic the contract does not declare', async () => {
    await Promise.all([
      usage(
        ['tail', url, '--events', CONTRACT, '--event', 'agee'],
        /--event agee: not in the contract \(its events: name, age/,
      ),
      usage(['tail', url, '--events', CONTRACT, '--topic', 'room:x'], /room:x/),
    ])
  })

  it('exits 2 when the module has no contract to choose, and takes the one --export names', async () => {
    const two = fileURLToPath(new URL('./test-contracts.mjs', import.meta.url))
    await Promise.all([
      usage(['tail', url, '--events', './missing.ts'], '--events ./missing.ts: no such file'),
      usage(['tail', url, '--events', two], /exports 2 contracts \(chat, clock\): choose one with --export <name>/),
      usage(
        ['tail', url, '--events', two, '--export', 'port'],
        /export 'port' does not exist \(its exports: chat, clock\)/,
      ),
      usage(
        ['tail', url, '--events', CONTRACT, '--export', 'port'],
        /export 'port' is not a defineEvents\(\) contract/,
      ),
    ])
    const server = await serveRaw('event: tick\nid: 1\ndata: 5\n\n')
    closers.push(server.close)
    const cli = startCli(['tail', server.url, '--events', two, '--export', 'clock', '--json'])
    await cli.waitFor('stdout', /tick/)
    cli.kill('SIGINT')
    expect(await cli.exited).toEqual({ code: 0, signal: null })
    expect(cli.stdout).toBe('{"name":"tick","id":"1","payload":5}\n')
  })
})
