// A Herald channel served by Koa in a process of its own, so a test can measure this process's
// memory and handles alone. Started by `startChannelProcess` (test-channel-child.ts) as
// `node --expose-gc --import tsx --conditions=@herald/source test-channel-process.ts '<options>'`;
// it sends `{ready, port}` over IPC, then answers the commands of `ChannelCommand`.
import { createHook } from 'node:async_hooks'
import type { AddressInfo } from 'node:net'
import { setImmediate as yieldToIO } from 'node:timers/promises'
import { defineEvents } from '@herald/schema'
import { createChannel } from '@herald/server'
import { sse } from '@herald/server/koa'
import Koa from 'koa'
import * as z from 'zod'
import type { ChannelCommand, ChannelReply, MemorySample, ProcessOptions } from './test-channel-child.ts'

const options = JSON.parse(process.argv[2] ?? '{}') as ProcessOptions
const exposedGc = (globalThis as { gc?: () => void }).gc
if (exposedGc === undefined) throw new Error('start this fixture with --expose-gc')
const gc: () => void = exposedGc

// Every live Timeout, from before the channel exists, so `close` can tell whether any outlived it
// (unref'd timers included, which getActiveResourcesInfo() does not list).
const liveTimers = new Set<number>()
const timerHook = createHook({
  init(asyncId, type) {
    if (type === 'Timeout') liveTimers.add(asyncId)
  },
  destroy(asyncId) {
    liveTimers.delete(asyncId)
  },
})
// Async hooks slow every async operation down, so only when asked.
if (options.trackTimers) timerHook.enable()

const events = defineEvents({ blob: z.object({ seq: z.number().int(), pad: z.string() }) })
const channel = createChannel(events, options.channel)
const app = new Koa()
app.use(sse(channel))
const server = app.listen(0, '127.0.0.1')

// The sampler runs between emit batches too: the emit loop yields to the event loop after each.
const peak: MemorySample = { heapUsed: 0, arrayBuffers: 0, external: 0, rss: 0 }
const sample = () => {
  const memory = process.memoryUsage()
  peak.heapUsed = Math.max(peak.heapUsed, memory.heapUsed)
  peak.arrayBuffers = Math.max(peak.arrayBuffers, memory.arrayBuffers)
  peak.external = Math.max(peak.external, memory.external)
  peak.rss = Math.max(peak.rss, memory.rss)
}
const sampler = setInterval(sample, 5)

const collect = async (): Promise<MemorySample> => {
  // Several rounds with a turn of the event loop between: sockets closed a moment ago release
  // their buffers in close callbacks, and weak references (the channel's frame cache) clear on a later gc.
  for (let round = 0; round < 3; round++) {
    gc()
    await yieldToIO()
  }
  const { heapUsed, arrayBuffers, external, rss } = process.memoryUsage()
  return { heapUsed, arrayBuffers, external, rss }
}

async function run(command: ChannelCommand): Promise<ChannelReply> {
  switch (command.op) {
    case 'emit': {
      const pad = 'x'.repeat(command.bytes)
      const ids: string[] = []
      const started = performance.now()
      const retained = { heapUsed: 0, arrayBuffers: 0 }
      let collected = started
      for (let seq = 0; seq < command.count; ) {
        for (const end = Math.min(command.count, seq + command.batch); seq < end; seq++) {
          ids.push(channel.emit('blob', { seq, pad }))
        }
        sample()
        if (command.gcEveryMs > 0 && performance.now() - collected >= command.gcEveryMs) {
          // What the server really holds at this moment, garbage aside: the figure to bound.
          gc()
          const { heapUsed, arrayBuffers } = process.memoryUsage()
          retained.heapUsed = Math.max(retained.heapUsed, heapUsed)
          retained.arrayBuffers = Math.max(retained.arrayBuffers, arrayBuffers)
          collected = performance.now()
        }
        // Pace the stream at `bytesPerSecond` (0: as fast as the loop goes), yielding to I/O each batch.
        const due = (seq * command.bytes * 1000) / (command.bytesPerSecond || Number.POSITIVE_INFINITY)
        const wait = due - (performance.now() - started)
        if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait))
        else await yieldToIO()
      }
      return { op: 'emit', ids, ms: performance.now() - started, retained }
    }
    case 'stats':
      return { op: 'stats', size: channel.size, memory: command.gc ? await collect() : process.memoryUsage() }
    case 'peak': {
      const memory = await collect()
      const reply = { op: 'peak' as const, peak: { ...peak }, memory }
      Object.assign(peak, memory)
      return reply
    }
    case 'close': {
      clearInterval(sampler)
      const started = performance.now()
      await channel.close()
      const channelMs = performance.now() - started
      await new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())))
      const serverMs = performance.now() - started - channelMs
      // Node's HTTP Date-header cache keeps an unref'd timer for up to a second after a response;
      // let it run out. Then a turn of the loop, as destroy hooks are delivered asynchronously.
      await new Promise((resolve) => setTimeout(resolve, command.settleMs ?? 1100))
      await yieldToIO()
      return {
        op: 'close',
        channelMs,
        serverMs,
        size: channel.size,
        resources: process.getActiveResourcesInfo(),
        liveTimers: options.trackTimers ? liveTimers.size : undefined,
      }
    }
  }
}

process.on('message', (message: { id: number; command: ChannelCommand }) => {
  run(message.command).then(
    (reply) => {
      process.send?.({ id: message.id, reply }, () => {
        // After `close` nothing may keep this process alive: let go of the IPC channel last.
        if (message.command.op === 'close') process.disconnect()
      })
    },
    (error: unknown) => process.send?.({ id: message.id, error: String((error as Error)?.stack ?? error) }),
  )
})

server.once('listening', () => {
  process.send?.({ ready: true, port: (server.address() as AddressInfo).port })
})
