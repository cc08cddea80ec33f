import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { expect, it } from 'vitest'
import { createChannel } from './channel.ts'
import { openProbe, until } from './sse-probe.ts'
import { useCleanup } from './test-server.ts'
import { topicEvents } from './test-topics.ts'
import { requestedTopics } from './topic-access.ts'

// The `topic:` lines of an event's block, on the wire, for a stream that asks for them
// (`?topicLines=1`, as a tab sharing its stream does): live and replayed, naming only the topics the
// stream joined. Other streams get the shared blocks, without them.
const defer = useCleanup()

/** A channel served on node:http, each stream joining the topics it asks for; both closed after the test. */
async function serve() {
  const channel = createChannel(topicEvents, { heartbeatMs: 0, retryMs: 50 })
  defer(() => channel.close())
  const server = http.createServer((req, res) => channel.handle(req, res, { topics: requestedTopics(req.url) }))
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  defer(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  )
  return { channel, origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}` }
}

it('writes one topic line per topic of an event the stream joined, before its data; a broadcast has none', async () => {
  const { channel, origin } = await serve()
  const base = `${origin}/?topic=room:1&topic=user:ada`
  const url = `${base}&topicLines=1`
  const live = await openProbe(url)
  const plain = await openProbe(base)
  defer(
    () => live.close(),
    () => plain.close(),
  )
  // Sent to bob too: ada's stream must not learn who else got it.
  channel.to(['room:1', 'user:ada', 'user:bob']).emit('n', { seq: 1 })
  channel.emit('n', { seq: 2 })
  channel.to('room:2').emit('n', { seq: 3 }) // not this stream's: never written to it
  channel.to('room:1').emit('done', null)
  const id = '[A-Za-z0-9]+-\\d+-\\d+'
  const blocks = new RegExp(
    `id: ${id}\nevent: n\ntopic: room:1\ntopic: user:ada\ndata: \\{"seq":1\\}\n\n` +
      `id: ${id}\nevent: n\ndata: \\{"seq":2\\}\n\n` +
      `id: ${id}\nevent: done\ntopic: room:1\ndata: null\n\n$`,
  )
  await until(
    () => blocks.test(live.text()),
    () => live.text(),
  )
  // A replay writes the same bytes: resumed from where the live stream joined (its hello's id).
  const joined = /^id: (.+)$/m.exec(live.text())?.[1] ?? ''
  const resumed = await openProbe(url, { 'last-event-id': joined })
  defer(() => resumed.close())
  await until(
    () => blocks.test(resumed.text()),
    () => resumed.text(),
  )
})

it('a stream that does not ask gets no topic lines at all, and one that does never sees topics it did not join', async () => {
  const { channel, origin } = await serve()
  const plain = await openProbe(`${origin}/?topic=user:bob`)
  const lined = await openProbe(`${origin}/?topic=user:bob&topicLines=1`)
  defer(
    () => plain.close(),
    () => lined.close(),
  )
  channel.to(['user:alice', 'user:bob', 'user:carol']).emit('n', { seq: 1 })
  channel.emit('done', null)
  await until(
    () => plain.text().includes('event: done') && lined.text().includes('event: done'),
    () => `${plain.text()}\n---\n${lined.text()}`,
  )
  expect(plain.text()).not.toContain('topic:')
  expect(lined.text()).toContain('topic: user:bob\n')
  expect(lined.text()).not.toMatch(/alice|carol/)
})
