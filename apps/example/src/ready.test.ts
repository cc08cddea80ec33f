import { expect, it } from 'vitest'
import { startServer } from './server.ts'

// `/ready` in memory, alone: always ready. (On Redis, scaled.test.ts: 503 while Redis is down.)
it('answers /ready 200 with the state in memory', async () => {
  const server = await startServer({ port: 0, tickMs: 1000 })
  try {
    const response = await fetch(`${server.url}/ready`)
    expect(response.status).toBe(200)
    expect(response.headers.get('cache-control')).toBe('no-store')
    expect(await response.json()).toMatchObject({ state: 'ready', since: expect.any(Number) })
  } finally {
    await server.close()
  }
})
