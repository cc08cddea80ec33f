import { startServer } from './server.ts'

const raw = process.env['PORT'] ?? ''
const port = raw === '' ? 3000 : Number(raw)
if (!Number.isInteger(port) || port < 0 || port > 65_535) {
  process.stderr.write(`PORT must be a port number from 0 to 65535, got ${JSON.stringify(raw)}\n`)
  process.exit(1)
}

// Signs the chat's cookies and tickets; set it to keep users signed in across restarts, and the
// same on every instance that shares a Redis.
const secret = process.env['EXAMPLE_SECRET']
// Set: the channel is shared through this Redis with every instance given the same one.
const redisUrl = process.env['REDIS_URL'] || undefined
// `0`: this instance emits no demo events of its own (another instance sharing the Redis does).
const clock = process.env['EXAMPLE_CLOCK'] !== '0'
const server = await startServer({ port, clock, redisUrl, ...(secret ? { secret } : {}) }).catch(
  (error: NodeJS.ErrnoException) => {
    const reason = error.code === 'EADDRINUSE' ? `port ${port} is in use; set PORT to another one` : error.message
    process.stderr.write(`Herald example: ${reason}\n`)
    process.exit(1)
  },
)
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => void server.close().then(() => process.exit(0)))
}
if (redisUrl !== undefined) {
  process.stdout.write(`Sharing the channel through Redis at ${redisUrl}; readiness: ${server.url}/ready\n`)
}
process.stdout.write(`Herald example on ${server.url}  (stream: ${server.url}/events)\n`)
