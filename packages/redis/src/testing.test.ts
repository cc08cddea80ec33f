import { existsSync } from 'node:fs'
import net from 'node:net'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { type RedisServer, startRedis } from './testing.ts'

/** Sends one command in RESP over a raw socket and resolves with the first reply line. */
function command(port: number, ...args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port })
    let reply = ''
    socket.once('error', reject)
    socket.once('connect', () =>
      socket.write(`*${args.length}\r\n${args.map((arg) => `$${Buffer.byteLength(arg)}\r\n${arg}\r\n`).join('')}`),
    )
    socket.on('data', (chunk) => {
      reply += chunk.toString()
      const lines = reply.split('\r\n')
      // A bulk string `$n` comes with its payload on the next line.
      if (lines[0]?.startsWith('$') && lines[0] !== '$-1' ? lines.length >= 3 : lines.length >= 2) {
        socket.destroy()
        resolve(lines[0]?.startsWith('$') && lines[0] !== '$-1' ? (lines[1] ?? '') : (lines[0] ?? ''))
      }
    })
  })
}

const servers: RedisServer[] = []
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.stop()))
  vi.unstubAllEnvs()
})

describe('startRedis', () => {
  it('starts a server answering on its own loopback port', async () => {
    const [a, b] = await Promise.all([startRedis(), startRedis()])
    if (a === undefined || b === undefined) throw new Error('unreachable')
    servers.push(a, b)
    expect(a.port).not.toBe(b.port)
    expect(a.url).toBe(`redis://127.0.0.1:${a.port}`)
    expect(await command(a.port, 'SET', 'k', 'a')).toBe('+OK')
    expect(await command(b.port, 'GET', 'k')).toBe('$-1')
    expect(await command(a.port, 'GET', 'k')).toBe('a')
  })

  it('without persistence, a SIGKILL and restart come back empty on the same port', async () => {
    const server = await startRedis()
    servers.push(server)
    await command(server.port, 'SET', 'k', 'v')
    await server.kill()
    expect(server.running).toBe(false)
    await expect(command(server.port, 'PING')).rejects.toThrow(/ECONNREFUSED/)
    await server.restart()
    expect(server.running).toBe(true)
    expect(await command(server.port, 'GET', 'k')).toBe('$-1')
  })

  it('with persistence, every acknowledged write survives a SIGKILL', async () => {
    const server = await startRedis({ persistence: true })
    servers.push(server)
    for (let i = 0; i < 50; i++) await command(server.port, 'RPUSH', 'list', String(i))
    await server.kill()
    await server.restart()
    expect(await command(server.port, 'LLEN', 'list')).toBe(':50')
  })

  it('pause freezes it with its connections open; resume answers what came meanwhile', async () => {
    const server = await startRedis()
    servers.push(server)
    server.pause()
    const answered = command(server.port, 'PING')
    const early = await Promise.race([answered, new Promise((resolve) => setTimeout(resolve, 300, 'no answer'))])
    expect(early).toBe('no answer')
    server.resume()
    expect(await answered).toBe('+PONG')
  })

  it('restart kills a running server first; stop removes its data directory', async () => {
    const server = await startRedis({ persistence: true })
    await command(server.port, 'SET', 'k', 'v')
    await server.restart()
    expect(await command(server.port, 'GET', 'k')).toBe('v')
    expect(existsSync(server.dir)).toBe(true)
    await server.stop()
    expect(server.running).toBe(false)
    expect(existsSync(server.dir)).toBe(false)
  })

  it('names the install command when redis-server is missing', async () => {
    vi.stubEnv('REDIS_SERVER_PATH', '/nonexistent/redis-server')
    vi.resetModules()
    const fresh = await import('./testing.ts')
    await expect(fresh.startRedis()).rejects.toThrow(/apt-get install -y redis-server/)
  })
})
