import type { ExchangeRequest } from './exchange.ts'

/** Connection limits: in total, and per client key (the IP address unless told otherwise). */
export interface AdmissionOptions {
  maxConnections: number
  maxConnectionsPerClient: number
  clientKey: (req: ExchangeRequest) => string
}

/** Counts open streams and says whether one more may open. */
export interface Admission {
  /** The request's client key when it may open a stream (counted from now on), else `undefined`. */
  admit(req: ExchangeRequest): string | undefined
  /** Forgets a stream admitted for `key`. */
  release(key: string): void
  readonly open: number
}

/** Creates the counters behind `maxConnections` and `maxConnectionsPerClient`. */
export function createAdmission(options: AdmissionOptions): Admission {
  const perClient = new Map<string, number>()
  let open = 0
  return {
    get open() {
      return open
    },
    admit(req) {
      if (open >= options.maxConnections) return undefined
      const key = options.clientKey(req)
      const count = perClient.get(key) ?? 0
      if (count >= options.maxConnectionsPerClient) return undefined
      perClient.set(key, count + 1)
      open += 1
      return key
    },
    release(key) {
      const count = perClient.get(key) ?? 0
      if (count <= 1) perClient.delete(key)
      else perClient.set(key, count - 1)
      open -= 1
    },
  }
}
