// Fixtures of the Fetch adapter's tests: a contract with topics, and the body of a `Response` read
// as an EventSource reads it, with Node's own `Response` and `ReadableStream` (no server).
import { defineEvents } from '@herald/schema'
import * as z from 'zod'
import { createSseReader, type SseMessage } from './testing-sse-reader.ts'

/** `n` carries the number of the emit; `blob` is padding, to fill queues. */
export const fetchEvents = defineEvents(
  { n: z.object({ seq: z.int() }), blob: z.string() },
  { topics: { user: z.string().regex(/^[a-z0-9]+$/), room: z.int().positive() } },
)

/** A response body being read: the messages so far, and how it ended. */
export interface SseBody {
  readonly messages: SseMessage[]
  /** `'end'` when the body closed, the error when it failed (a cut). */
  readonly ended: Promise<'end' | Error>
  /** Waits until `count` messages of `name` arrived (any name without it); rejects after `ms`. */
  until(count: number, name?: string, ms?: number): Promise<SseMessage[]>
  /** Cancels the body, as a client leaving does. */
  cancel(): Promise<void>
}

/** Reads `response`'s body as fast as it comes. */
export function readSse(response: Response): SseBody {
  const body = response.body
  if (body === null) throw new Error(`no body (status ${response.status})`)
  const reader = body.getReader()
  const decoder = new TextDecoder()
  const messages: SseMessage[] = []
  let wake: () => void = () => {}
  const feed = createSseReader({ onMessage: (message) => messages.push(message), onRetry: () => {} })
  const ended = (async (): Promise<'end' | Error> => {
    try {
      for (;;) {
        const { done, value } = await reader.read()
        if (done) return 'end'
        feed(decoder.decode(value, { stream: true }))
        wake()
      }
    } catch (error) {
      return error as Error
    } finally {
      wake()
    }
  })()
  let over = false
  void ended.then(() => {
    over = true
  })
  const matching = (name: string | undefined) =>
    messages.filter((message) => name === undefined || message.name === name)
  return {
    messages,
    ended,
    async until(count, name, ms = 3000) {
      const deadline = Date.now() + ms
      while (matching(name).length < count) {
        if (over) throw new Error(`the body ended with ${matching(name).length} of ${count} '${name ?? '*'}'`)
        if (Date.now() > deadline) throw new Error(`timed out with ${matching(name).length} of ${count} '${name}'`)
        await new Promise<void>((resolve) => {
          wake = resolve
          setTimeout(resolve, 20)
        })
      }
      return matching(name)
    },
    cancel: () => reader.cancel(),
  }
}

/** The data of a message, parsed. */
export const dataOf = <T>(message: SseMessage | undefined): T => JSON.parse(message?.data ?? 'null') as T

/** Resolves after the pending microtasks and one macrotask: queued 'close' events have fired. */
export const settled = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 0))
