// The baseline: a hand-written node:http broadcast loop. Each event is serialized once into one
// Buffer and that Buffer is written to every response; one shared timer sends heartbeats.
import { createServer } from 'node:http'
import { runBenchServer } from '../server-harness.ts'
import { createBroadcaster } from './hand-written.ts'

const { open, broadcast, subscribers } = createBroadcaster()

const http = createServer((req, res) => {
  if (req.method !== 'GET' || req.url !== '/events') {
    res.writeHead(404).end()
    return
  }
  open(res)
})

await runBenchServer({ path: '/events', http, broadcast, subscribers })
