import { execFileSync } from 'node:child_process'
import { afterEach, describe, expect, it } from 'vitest'
import { CONTRACT, FROM_SOURCE, killAll, startCli } from './test-cli.ts'
import { type HeraldServer, serveHerald } from './test-servers.ts'

// `herald tail` as a user runs it: the real binary in a child process, against a real Koa server
// with a Herald channel. Events are emitted only once the CLI says the stream is open.

let server: HeraldServer | undefined

afterEach(async () => {
  await killAll()
  await server?.close()
  server = undefined
})

const OPEN = /● open /
const ESC = '\x1b'

/** Every line of `text`, without the last empty one. */
const lines = (text: string) => text.split('\n').filter((line) => line !== '')

describe('herald tail', () => {
  it('prints each event on one line: time, name, id and the payload, Dates as dates; Ctrl-C exits 0', async () => {
    server = await serveHerald()
    const cli = startCli(['tail', server.url, '--events', CONTRACT])
    await cli.waitFor('stderr', OPEN)
    const ids = [
      server.channel.emit('name', 'Ada'),
      server.channel.emit('age', 36),
      server.channel.emit('user', { name: 'Ada', joined: new Date('2024-05-01T10:00:00Z'), tags: ['x'] }),
      server.channel.emit('note', 'plain text'),
    ]
    await cli.waitFor('stdout', /note/)
    const printed = lines(cli.stdout)
    expect(printed).toEqual([
      expect.stringMatching(new RegExp(`^\\d\\d:\\d\\d:\\d\\d\\.\\d{3} name #${ids[0]} 'Ada'$`)),
      expect.stringMatching(new RegExp(`^\\d\\d:\\d\\d:\\d\\d\\.\\d{3} age  #${ids[1]} 36$`)),
      expect.stringMatching(
        new RegExp(`^\\S+ user #${ids[2]} \\{ name: 'Ada', joined: 2024-05-01T10:00:00\\.000Z, tags: \\[ 'x' \\] \\}$`),
      ),
      expect.stringMatching(new RegExp(`^\\S+ note #${ids[3]} 'plain text'$`)),
    ])
    cli.kill('SIGINT')
    expect(await cli.exited).toEqual({ code: 0, signal: null })
    // Not a terminal: the connection line is written as plain lines to stderr, uncoloured.
    expect(lines(cli.stderr)).toEqual([
      `○ connecting ${server.url}`,
      `● open ${server.url}`,
      `× closed ${server.url} · last id ${ids[3]} · 4 events`,
    ])
    expect(cli.stdout + cli.stderr).not.toContain(ESC)
  })

  it('--json writes one JSON object per event on stdout and nothing else', async () => {
    server = await serveHerald()
    const cli = startCli(['tail', server.url, '--events', CONTRACT, '--json'])
    await cli.waitFor('stderr', OPEN)
    const joined = new Date('2024-05-01T10:00:00Z')
    const ids = [
      server.channel.emit('age', 36),
      server.channel.emit('user', { name: 'Ada', joined, tags: [] }),
      server.channel.emit('note', 'hi'),
    ]
    await cli.waitFor('stdout', /"note"/)
    cli.kill('SIGTERM')
    expect(await cli.exited).toEqual({ code: 0, signal: null })
    expect(lines(cli.stdout).map((line) => JSON.parse(line))).toEqual([
      { name: 'age', id: ids[0], payload: 36 },
      { name: 'user', id: ids[1], payload: { name: 'Ada', joined: '2024-05-01T10:00:00.000Z', tags: [] } },
      { name: 'note', id: ids[2], payload: 'hi' },
    ])
  })

  it('--event prints only the events named', async () => {
    server = await serveHerald()
    const cli = startCli(['tail', server.url, '--events', CONTRACT, '--json', '--event', 'age', '--event', 'note'])
    await cli.waitFor('stderr', OPEN)
    server.channel.emit('name', 'Ada')
    server.channel.emit('age', 1)
    server.channel.emit('time', new Date())
    server.channel.emit('age', 2)
    server.channel.emit('note', 'last')
    await cli.waitFor('stdout', /"note"/)
    cli.kill('SIGINT')
    await cli.exited
    expect(lines(cli.stdout).map((line) => JSON.parse(line).payload)).toEqual([1, 2, 'last'])
  })

  it('--topic subscribes through the client: events of that topic and broadcasts, not other topics', async () => {
    server = await serveHerald()
    const cli = startCli(['tail', server.url, '--events', CONTRACT, '--json', '--topic', 'room:1'])
    await cli.waitFor('stderr', OPEN)
    server.channel.to('room:2').emit('name', 'room 2')
    server.channel.to('room:1').emit('name', 'room 1')
    server.channel.emit('name', 'everyone')
    await cli.waitFor('stdout', /everyone/)
    cli.kill('SIGINT')
    await cli.exited
    expect(lines(cli.stdout).map((line) => JSON.parse(line).payload)).toEqual(['room 1', 'everyone'])
  })

  it('--header is sent with the stream request, and --last-event-id resumes after that id', async () => {
    server = await serveHerald({ token: 'secret' })
    const first = server.channel.emit('age', 1)
    server.channel.emit('age', 2)
    const cli = startCli([
      'tail',
      server.url,
      '--events',
      CONTRACT,
      '--json',
      '--header',
      'Authorization: Bearer secret',
      '--last-event-id',
      first,
    ])
    await cli.waitFor('stdout', /"payload":2/)
    cli.kill('SIGINT')
    await cli.exited
    expect(server.authorizations).toEqual(['Bearer secret'])
    expect(lines(cli.stdout).map((line) => JSON.parse(line).payload)).toEqual([2])
  })

  it('colours the name with FORCE_COLOR, and not with --no-color or NO_COLOR', async () => {
    server = await serveHerald()
    const runs = [
      startCli(['tail', server.url, '--events', CONTRACT], { env: { FORCE_COLOR: '1' } }),
      startCli(['tail', server.url, '--events', CONTRACT, '--no-color'], { env: { FORCE_COLOR: '1' } }),
      startCli(['tail', server.url, '--events', CONTRACT], { env: { FORCE_COLOR: '1', NO_COLOR: '1' } }),
    ]
    await Promise.all(runs.map((cli) => cli.waitFor('stderr', /open/)))
    server.channel.emit('age', 36)
    await Promise.all(runs.map((cli) => cli.waitFor('stdout', /36/)))
    for (const cli of runs) cli.kill('SIGINT')
    await Promise.all(runs.map((cli) => cli.exited))
    const [coloured, flag, env] = runs.map((cli) => cli.stdout)
    expect(coloured).toMatch(new RegExp(`${ESC}\\[\\d+mage ${ESC}\\[39m`)) // the name, padded, in its colour
    expect(coloured).toContain(`${ESC}[33m36${ESC}[39m`) // the payload as util.inspect colours it
    expect(flag).not.toContain(ESC)
    expect(env).not.toContain(ESC)
  })

  // A terminal, made by util-linux's `script`: stdout and stderr are both the pseudo-terminal.
  const hasScript = (() => {
    try {
      execFileSync('script', ['--version'], { stdio: 'ignore' })
      return true
    } catch {
      return false
    }
  })()

  it.skipIf(!hasScript)('on a terminal, colours by itself and redraws the connection line in place', async () => {
    server = await serveHerald()
    const quote = (word: string) => `'${word.replaceAll("'", "'\\''")}'`
    const command = [...FROM_SOURCE, 'tail', server.url, '--events', CONTRACT].map(quote).join(' ')
    const cli = startCli(['-qfec', command, '/dev/null'], { command: ['script'] })
    await cli.waitFor('stdout', /open/)
    server.channel.emit('age', 36)
    await cli.waitFor('stdout', /1 event/)
    cli.kill('SIGTERM')
    await cli.exited
    const CLEAR = `\r${ESC}[2K`
    // The line is drawn in place (no newline between states), then the event above it, then the
    // line again with the count: all on the one terminal.
    expect(cli.stdout).toContain(`${CLEAR}${ESC}[33m○ connecting${ESC}[39m ${server.url}${CLEAR}${ESC}[32m● open`)
    expect(cli.stdout).toMatch(new RegExp(`${ESC}\\[\\d+mage ${ESC}\\[39m .*${ESC}\\[33m36${ESC}\\[39m\\r\\n`))
    expect(cli.stdout).toContain('· 1 event')
  })
})
