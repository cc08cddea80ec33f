// Request/response over Node's IPC channel between the runner and its child processes, typed by
// an API map (`method → {params, result}`), so the runner and the children cannot drift apart.
import type { ChildProcess } from 'node:child_process'

/** An API map: each method's parameters and result. */
export type AnyApi = Record<string, { params: unknown; result: unknown }>

/** The handlers a child process serves, one per method of `TApi`. */
export type Handlers<TApi extends AnyApi> = {
  [TMethod in keyof TApi]: (
    params: TApi[TMethod]['params'],
  ) => TApi[TMethod]['result'] | Promise<TApi[TMethod]['result']>
}

/** Calls the methods a child serves. */
export interface RpcClient<TApi extends AnyApi> {
  call<TMethod extends keyof TApi & string>(
    method: TMethod,
    params: TApi[TMethod]['params'],
    timeoutMs?: number,
  ): Promise<TApi[TMethod]['result']>
}

interface Request {
  readonly rpc: number
  readonly method: string
  readonly params: unknown
}

interface Reply {
  readonly rpc: number
  readonly result?: unknown
  readonly error?: string
}

const isReply = (message: unknown): message is Reply =>
  typeof message === 'object' && message !== null && 'rpc' in message && !('method' in message)

const isRequest = (message: unknown): message is Request =>
  typeof message === 'object' && message !== null && 'rpc' in message && 'method' in message

/** Wraps the IPC channel of `child`; every call rejects after its timeout or when the child exits. */
export function createRpcClient<TApi extends AnyApi>(child: ChildProcess, name: string): RpcClient<TApi> {
  let next = 1
  const waiting = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>()
  child.on('message', (message: unknown) => {
    if (!isReply(message)) return
    const entry = waiting.get(message.rpc)
    if (entry === undefined) return
    waiting.delete(message.rpc)
    if (message.error === undefined) entry.resolve(message.result)
    else entry.reject(new Error(`${name}: ${message.error}`))
  })
  child.once('exit', (code, signal) => {
    for (const entry of waiting.values()) entry.reject(new Error(`${name} exited (${signal ?? code})`))
    waiting.clear()
  })
  return {
    call(method, params, timeoutMs = 60_000) {
      const rpc = next++
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiting.delete(rpc)
          reject(new Error(`${name}: ${method} timed out after ${timeoutMs} ms`))
        }, timeoutMs)
        const settle = { resolve, reject }
        waiting.set(rpc, {
          resolve: (value) => {
            clearTimeout(timer)
            settle.resolve(value as TApi[typeof method]['result'])
          },
          reject: (error) => {
            clearTimeout(timer)
            settle.reject(error)
          },
        })
        child.send({ rpc, method, params } satisfies Request)
      })
    },
  }
}

/**
 * Serves `handlers` on this process's IPC channel, then tells the parent it is ready with `info`.
 * The process exits when the parent goes away, so a crashed runner leaves no orphans.
 */
export function serveRpc<TApi extends AnyApi>(handlers: Handlers<TApi>, info: unknown): void {
  const send = process.send?.bind(process)
  if (send === undefined) throw new Error('start this process from the bench runner (it needs an IPC channel)')
  process.on('message', (message: unknown) => {
    if (!isRequest(message)) return
    const handler = handlers[message.method as keyof TApi] as ((params: unknown) => unknown) | undefined
    Promise.resolve()
      .then(() => {
        if (handler === undefined) throw new Error(`unknown method ${message.method}`)
        return handler(message.params)
      })
      .then(
        (result) => send({ rpc: message.rpc, result: result ?? null } satisfies Reply),
        (error: unknown) => send({ rpc: message.rpc, error: String(error) } satisfies Reply),
      )
  })
  process.on('disconnect', () => process.exit(0))
  send({ ready: info })
}

/** Resolves with the `info` a child passed to `serveRpc`, or rejects if it exits or takes too long. */
export function waitReady(child: ChildProcess, name: string, timeoutMs: number): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => done(new Error(`${name} not ready after ${timeoutMs} ms`)), timeoutMs)
    const onMessage = (message: unknown) => {
      if (typeof message === 'object' && message !== null && 'ready' in message) done(undefined, message.ready)
    }
    const onExit = (code: number | null, signal: string | null) => done(new Error(`${name} exited (${signal ?? code})`))
    const done = (error: Error | undefined, info?: unknown) => {
      clearTimeout(timer)
      child.off('message', onMessage)
      child.off('exit', onExit)
      if (error === undefined) resolve(info)
      else reject(error)
    }
    child.on('message', onMessage)
    child.on('exit', onExit)
  })
}
