import { startServer } from './server.ts'

const server = await startServer({ port: Number(process.env['PORT'] ?? 3000) })
process.stdout.write(`Herald example on ${server.url}  (stream: ${server.url}/events)\n`)

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => void server.close().then(() => process.exit(0)))
}
