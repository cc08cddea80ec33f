import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { REFUSED_HEADER } from '@herald/schema'
import { afterEach, describe, expect, it } from 'vitest'
import { turnAwayBusy, turnAwayClosed } from './turn-away.ts'

let server: http.Server | undefined
afterEach(async () => {
  server?.closeAllConnections()
  await new Promise((resolve) => server?.close(resolve))
})

/** The answer of a server that turns every request away with `answer`. */
async function answerOf(answer: (res: http.ServerResponse) => void) {
  server = http.createServer((_req, res) => answer(res))
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve))
  const response = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`)
  return { response, body: await response.text() }
}

describe('turning a request away', () => {
  it('at a limit: a herald:busy event and a retry, Herald-Refused: busy, Retry-After in seconds', async () => {
    const { response, body } = await answerOf((res) => turnAwayBusy(res, 10_500))
    expect(response.status).toBe(200)
    expect(REFUSED_HEADER).toBe('herald-refused')
    expect(response.headers.get('herald-refused')).toBe('busy')
    expect(response.headers.get('retry-after')).toBe('11')
    expect(response.headers.get('content-type')).toBe('text/event-stream; charset=utf-8')
    expect(response.headers.get('cache-control')).toBe('no-cache, no-transform')
    expect(body).toBe('retry: 10500\nevent: herald:busy\ndata: {"retryMs":10500}\n\n')
  })

  it('from a closed channel: only a retry, Herald-Refused: closed', async () => {
    const { response, body } = await answerOf((res) => turnAwayClosed(res, 2500))
    expect(response.headers.get('herald-refused')).toBe('closed')
    expect(response.headers.get('retry-after')).toBe('3')
    expect(body).toBe('retry: 2500\n\n')
  })
})
