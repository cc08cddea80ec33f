import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { defineEvents, text } from '@herald/schema'
import { afterEach, describe, expect, it } from 'vitest'
import * as z from 'zod'
import { createClient, type HeraldError } from './index.ts'
import { cleanups } from './test-herald-server.ts'

// Herald's client against plain node:http SSE servers written as the tutorial in
// shared/seed/sse-tutorial.md writes them: no ids, no retry, `event:` and `data:` in separate
// writes, plain-text data. Only the delays are shorter, and the timers stop with the response.

const jobs = cleanups()
afterEach(() => jobs.run())

/** Listens on 127.0.0.1, port 0, and returns the server's root URL. */
async function listen(handler: http.RequestListener): Promise<string> {
  const server = http.createServer(handler)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  jobs.add(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  )
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/`
}

function tutorialHeaders(res: http.ServerResponse): void {
  res.setHeader('Access-Control-Allow-Origin', '*')
  res.setHeader('Content-Type', 'text/event-stream')
  res.setHeader('Cache-Control', 'no-cache')
  res.setHeader('Connection', 'keep-alive')
}

describe('createClient: interop with a plain node:http SSE server', () => {
  it("reads the tutorial's name and age events through text() schemas", async () => {
    const url = await listen((req, res) => {
      tutorialHeaders(res)
      if (req.url === '/') {
        const timers = [
          setTimeout(() => {
            res.write('event: name\n')
            res.write('data: Alice\n\n')
          }, 10),
          setTimeout(() => {
            res.write('event: age\n')
            res.write('data: 24\n\n')
          }, 20),
        ]
        res.on('close', () => timers.forEach(clearTimeout))
      }
    })
    const events = defineEvents({ name: text(z.string()), age: text(z.coerce.number()) })
    const client = createClient(events, url)
    jobs.add(() => client.close())
    const errors: HeraldError[] = []
    client.onError((error) => errors.push(error))
    const received: unknown[] = []
    client.on('name', (name) => received.push(name))
    client.on('age', (age) => received.push(age))
    await expect.poll(() => received).toEqual(['Alice', 24])
    expect(typeof received[1]).toBe('number')
    expect(client.lastEventId).toBe('')
    expect(errors).toEqual([])
  })

  it("reads the clock demo's unnamed messages as Dates through a message event", async () => {
    const sent: string[] = []
    const url = await listen((req, res) => {
      tutorialHeaders(res)
      if (req.url === '/') {
        const timer = setInterval(() => {
          const now = `${new Date()}`
          sent.push(now)
          res.write(`data: ${now}\n\n`)
        }, 10)
        res.on('close', () => clearInterval(timer))
      }
    })
    const events = defineEvents({ message: text(z.coerce.date()) })
    const client = createClient(events, url)
    jobs.add(() => client.close())
    const errors: HeraldError[] = []
    client.onError((error) => errors.push(error))
    const times: Date[] = []
    client.on('message', (time, meta) => {
      expect(meta.name).toBe('message')
      times.push(time)
    })
    await expect.poll(() => times.length).toBeGreaterThanOrEqual(3)
    for (const [index, time] of times.entries()) {
      expect(time).toBeInstanceOf(Date)
      expect(time.getTime()).toBe(new Date(sent[index] as string).getTime())
    }
    expect(Math.abs((times[0] as Date).getTime() - Date.now())).toBeLessThan(5000)
    expect(errors).toEqual([])
  })

  it('reads the clock demo with the same stream() iterator', async () => {
    const url = await listen((_req, res) => {
      tutorialHeaders(res)
      const timer = setInterval(() => res.write(`data: ${new Date()}\n\n`), 10)
      res.on('close', () => clearInterval(timer))
    })
    const client = createClient(defineEvents({ message: text(z.coerce.date()) }), url)
    jobs.add(() => client.close())
    const times: Date[] = []
    for await (const time of client.stream('message')) {
      times.push(time)
      if (times.length === 2) break
    }
    expect(times.every((time) => time instanceof Date && !Number.isNaN(time.getTime()))).toBe(true)
  })
})
