import { defineEvents, type HeraldError } from '@herald/schema'
import { afterEach, describe, expect, it } from 'vitest'
import * as z from 'zod'
import { createClient } from './index.ts'
import { cleanups } from './test-herald-server.ts'
import { send, sseHead, useSseServer } from './test-sse-server.ts'

// Issue #7: the SSE standard sets no line limit and browsers read lines of many MiB, so a large
// JSON snapshot on one data line must arrive by default. (The 64 MiB limit against an endless
// line is in client.hostile.test.ts.)

const events = defineEvents({ snapshot: z.object({ rows: z.array(z.string()) }) })
const { srv, open } = useSseServer()
const jobs = cleanups()
afterEach(() => jobs.run())

// About 5 MiB of JSON on one line: 54,000 rows of 100 characters.
const rows = Array.from({ length: 54_000 }, (_, i) => `${i}`.padStart(100, 'r'))
const line = JSON.stringify({ rows })

const url = () =>
  srv.route('/snapshot', async ({ res }) => {
    sseHead(res)
    await send(res, `event: snapshot\ndata: ${line}\n\n`)
    await send(res, 'event: snapshot\ndata: {"rows":["after"]}\n\n')
  })

describe('a 5 MiB data line', () => {
  it('reaches HeraldEventSource listeners whole, by default', async () => {
    expect(line.length).toBeGreaterThan(5 * 1024 * 1024)
    const problems: string[] = []
    const { events: received } = open(url(), { onParseError: (message) => problems.push(message) }, ['snapshot'])
    await expect.poll(() => received.length, { timeout: 5000 }).toBe(2)
    expect(received[0]?.data).toBe(line)
    expect(problems).toEqual([])
  })

  it('is decoded by createClient, by default', async () => {
    const client = createClient(events, url())
    jobs.add(() => client.close())
    const received: number[] = []
    const errors: HeraldError[] = []
    client.on('snapshot', (snapshot) => received.push(snapshot.rows.length))
    client.onError((error) => errors.push(error))
    await expect.poll(() => received, { timeout: 5000 }).toEqual([54_000, 1])
    expect(errors).toEqual([])
  })
})
