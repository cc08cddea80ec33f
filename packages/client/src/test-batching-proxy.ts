// Test fixture: a TCP proxy (node:net) that buffers what the server sends and releases it in
// batches, every `batchMs`, as response compression or a buffering reverse proxy does. What the
// client sends goes through at once.
import net, { type AddressInfo, type Socket } from 'node:net'

/** A listening batching proxy. */
export interface BatchingProxy {
  /** `url` with its port replaced by the proxy's. */
  via(url: string): string
  /** Batches released so far, over every connection. */
  readonly batches: number
  /** Stops listening and destroys every connection. */
  close(): Promise<void>
}

/** Starts a proxy on 127.0.0.1, port 0, in front of `targetPort`. */
export async function startBatchingProxy(options: { targetPort: number; batchMs: number }): Promise<BatchingProxy> {
  const sockets = new Set<Socket>()
  let batches = 0
  const server = net.createServer((client) => {
    const upstream = net.connect({ host: '127.0.0.1', port: options.targetPort })
    let held: Buffer[] = []
    const release = () => {
      if (held.length === 0 || !client.writable) return
      batches++
      client.write(Buffer.concat(held))
      held = []
    }
    const timer = setInterval(release, options.batchMs)
    const teardown = () => {
      clearInterval(timer)
      client.destroy()
      upstream.destroy()
    }
    for (const socket of [client, upstream]) {
      sockets.add(socket)
      socket.once('close', () => {
        sockets.delete(socket)
        teardown()
      })
      socket.on('error', teardown)
    }
    client.pipe(upstream)
    upstream.on('data', (chunk: Buffer) => held.push(chunk))
    upstream.once('end', () => {
      release()
      client.end()
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    via(url) {
      const parsed = new URL(url)
      parsed.port = String(port)
      return parsed.href
    },
    get batches() {
      return batches
    },
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()))
      for (const socket of sockets) socket.destroy()
      await closed
    },
  }
}
