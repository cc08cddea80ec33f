// Fixtures of the client's topic and ticket tests: a contract with topics, and per-test fixtures
// that serve a scripted raw SSE server (test-topic-server.ts) and track clients of that contract.
import { defineEvents } from '@herald/schema'
import type { TestContext } from 'vitest'
import * as z from 'zod'
import { type ClientOptions, type ConnectionState, createClient, type HeraldError } from './index.ts'
import { cleanups } from './test-herald-server.ts'
import { type ScriptContext, serveTopics } from './test-topic-server.ts'

/** The tests' contract: one event, and user and room topics. */
export const chat = defineEvents(
  { message: z.object({ text: z.string() }) },
  { topics: { user: z.string().regex(/^[a-z0-9]+$/), room: z.int().positive() } },
)
export type Chat = typeof chat

/** The fixtures of one test, closed when it finishes (the tests run at the same time). */
export function fixtures({ onTestFinished }: TestContext) {
  const jobs = cleanups()
  onTestFinished(() => jobs.run())

  async function serve(script: (ctx: ScriptContext) => unknown) {
    const server = await serveTopics(script)
    jobs.add(() => server.close())
    return server
  }

  /** A client that records its messages, states and errors. */
  function track(url: string, options: ClientOptions<Chat> = {}) {
    const client = createClient(chat, url, options)
    jobs.add(() => client.close())
    const texts: string[] = []
    const states: ConnectionState[] = [client.state]
    const errors: HeraldError[] = []
    client.on('message', ({ text }) => texts.push(text))
    client.onState((state) => states.push(state))
    client.onError((error) => errors.push(error))
    return { client, texts, states, errors }
  }

  return { serve, track }
}
