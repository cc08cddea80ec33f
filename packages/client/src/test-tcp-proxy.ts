// Test fixture: a byte-level TCP proxy (node:net) between a client and a server, for the faults a
// network or a proxy causes: a cut connection (RST or FIN), an idle timeout, and a connection that
// silently stops forwarding the server's bytes while both ends stay open (half-open).
import net, { type AddressInfo, type Socket } from 'node:net'

/** One client connection and its upstream connection to the target. */
export interface ProxiedConnection {
  readonly client: Socket
  readonly upstream: Socket
  /** Set while server→client bytes are dropped instead of forwarded. */
  readonly stalled: boolean
  /** Drops every server→client byte from now on, closing neither side: a half-open path. */
  stall(): void
  /**
   * Cuts the connection: `reset` sends an RST to the client (a network drop), `end` a FIN to both
   * sides (a proxy closing it, as on an idle timeout).
   */
  cut(how: 'reset' | 'end'): void
}

/**
 * What the proxy does with a connection it accepts: forward it, hold it (accepted, then nothing:
 * no upstream connection, no byte, no close; a black hole) or reset it at once (a refusal).
 */
export type NewConnections = 'forward' | 'hold' | 'reset'

/** Options of `startTcpProxy`. */
export interface TcpProxyOptions {
  /** The port on 127.0.0.1 to forward to. */
  readonly targetPort: number
  /** Cut (with a FIN) a connection that carried no byte either way for this long; 0 never. @default 0 */
  readonly idleTimeoutMs?: number
  /** What happens to new connections. @default 'forward' */
  readonly newConnections?: NewConnections
  /** Delay every server→client chunk by this long, as a slow link would. @default 0 */
  readonly latencyMs?: number
}

/** A listening proxy and the connections it carries. */
export interface TcpProxy {
  readonly port: number
  /** `url` with its port replaced by the proxy's. */
  via(url: string): string
  /** The open connections, oldest first. */
  readonly open: readonly ProxiedConnection[]
  /** Connections accepted so far. */
  readonly accepted: number
  /** Connections cut for being idle longer than `idleTimeoutMs`. */
  readonly idleCuts: number
  /** What happens to new connections; may be switched at any time. */
  newConnections: NewConnections
  /** Stops listening and destroys every connection, held ones included. */
  close(): Promise<void>
}

/** Starts a proxy on 127.0.0.1, port 0. */
export async function startTcpProxy(options: TcpProxyOptions): Promise<TcpProxy> {
  const open = new Set<ProxiedConnection>()
  const held = new Set<Socket>()
  let accepted = 0
  let idleCuts = 0
  let newConnections = options.newConnections ?? 'forward'

  const server = net.createServer((client) => {
    accepted++
    client.on('error', () => client.destroy())
    if (newConnections === 'reset') {
      client.resetAndDestroy()
      return
    }
    if (newConnections === 'hold') {
      held.add(client)
      client.once('close', () => held.delete(client))
      return
    }
    const upstream = net.connect({ host: '127.0.0.1', port: options.targetPort })
    let stalled = false
    const connection: ProxiedConnection = {
      client,
      upstream,
      get stalled() {
        return stalled
      },
      stall() {
        stalled = true
      },
      cut(how) {
        if (how === 'reset') {
          client.resetAndDestroy()
          upstream.destroy()
        } else {
          client.end()
          upstream.end()
        }
      },
    }
    open.add(connection)
    const teardown = () => {
      open.delete(connection)
      client.destroy()
      upstream.destroy()
    }
    client.once('close', teardown)
    upstream.once('close', teardown)
    upstream.on('error', teardown)
    // Forward by hand rather than with pipe(), so a stalled direction can drop its bytes.
    forward(client, upstream, () => false, 0)
    forward(upstream, client, () => stalled, options.latencyMs ?? 0)
    const idleMs = options.idleTimeoutMs ?? 0
    if (idleMs > 0) {
      // The client socket sees every byte of both directions (a stalled one aside): its
      // inactivity timeout is the connection's. The proxy shares its event loop with the server,
      // so a timer may fire while bytes already wait in the socket: look once more after the
      // loop has read them, as a proxy in its own process would have.
      let lastBytesAt = performance.now()
      const mark = () => {
        lastBytesAt = performance.now()
      }
      client.on('data', mark)
      upstream.on('data', () => stalled || mark())
      // The socket's timer runs on the loop's cached clock, which may be a little behind
      // performance.now(): when it fires a hair early, look again once the rest is up, since it
      // only fires again after more bytes (and without them the cut would never come).
      let recheck: ReturnType<typeof setTimeout> | undefined
      const check = () => {
        recheck = undefined
        const idle = performance.now() - lastBytesAt
        if (client.destroyed) return
        if (idle < idleMs) {
          recheck = setTimeout(check, Math.ceil(idleMs - idle))
          return
        }
        idleCuts++
        connection.cut('end')
      }
      client.once('close', () => clearTimeout(recheck))
      client.setTimeout(idleMs, () => {
        clearTimeout(recheck)
        setImmediate(check)
      })
    }
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    port,
    via(url) {
      const parsed = new URL(url)
      parsed.port = String(port)
      return parsed.href
    },
    get open() {
      return [...open]
    },
    get accepted() {
      return accepted
    },
    get idleCuts() {
      return idleCuts
    },
    get newConnections() {
      return newConnections
    },
    set newConnections(value) {
      newConnections = value
    },
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()))
      for (const connection of open) connection.cut('reset')
      for (const socket of held) socket.destroy()
      await closed
    },
  }
}

/**
 * Copies `from` to `to` with backpressure, dropping chunks while `dropping()` holds. With a
 * latency, each chunk (and the end) is passed on that much later, in order, without backpressure.
 */
function forward(from: Socket, to: Socket, dropping: () => boolean, latencyMs: number): void {
  const later = (fn: () => void) => (latencyMs > 0 ? void setTimeout(fn, latencyMs) : fn())
  from.on('data', (chunk) => {
    if (dropping()) return
    later(() => {
      if (!to.writable || to.write(chunk) || latencyMs > 0) return
      from.pause()
      to.once('drain', () => from.resume())
    })
  })
  from.once('end', () =>
    later(() => {
      if (to.writable) to.end()
    }),
  )
}
