// What the engine needs of a node-redis client, written as a structural type so that any
// `createClient()` of `redis` (v5 or v6, with any modules, scripts or RESP version) fits without
// the package importing node-redis's generic types.

/**
 * A connected node-redis client (`createClient({ url }).connect()` from `redis`): the engine sends
 * its commands on it and `duplicate()`s it once for its blocking read loop. TLS, auth and
 * reconnection are the client's own options; the duplicate inherits them.
 */
export interface RedisEngineClient {
  /** True while the client is connected and ready for commands. */
  readonly isReady: boolean
  /** Sends one raw command; resolves with its reply. */
  sendCommand(args: readonly string[]): Promise<unknown>
  /** A new client with the same options, not yet connected. */
  duplicate(): RedisEngineConnection
}

/** The engine's own connection, made by `duplicate()`: it connects it, and destroys it on close. */
export interface RedisEngineConnection extends RedisEngineClient {
  /** True while the socket is open or reconnecting. */
  readonly isOpen: boolean
  /** Opens the connection. */
  connect(): Promise<unknown>
  /** Closes the connection at once, rejecting the commands in flight. */
  destroy(): void
  /** node-redis reports socket errors as 'error' events (it reconnects by itself). */
  on(event: 'error', listener: (error: unknown) => void): unknown
}
