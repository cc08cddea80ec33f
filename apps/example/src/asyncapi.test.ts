import specs from '@asyncapi/specs'
import { Ajv, type SchemaObject } from 'ajv'
import formats from 'ajv-formats'
import { afterEach, expect, it } from 'vitest'
import { type ExampleServer, startServer } from './server.ts'

// `/asyncapi.json`, checked against the official AsyncAPI 3.0.0 JSON Schema (@asyncapi/specs, a
// root devDependency), and against what really travels: a `time` event read off the live stream.

let server: ExampleServer | undefined
afterEach(async () => {
  await server?.close()
  server = undefined
})

/** The `data:` of the first `event: <name>` block the stream at `url` sends. */
async function firstData(url: string, name: string): Promise<string> {
  const controller = new AbortController()
  const response = await fetch(url, { signal: controller.signal, headers: { accept: 'text/event-stream' } })
  const reader = (response.body as ReadableStream<Uint8Array>).getReader()
  const decoder = new TextDecoder()
  let text = ''
  try {
    for (;;) {
      const { value, done } = await reader.read()
      if (done) throw new Error(`the stream ended before any '${name}' event`)
      text += decoder.decode(value, { stream: true })
      const block = text.split('\n\n').find((each) => each.split('\n').includes(`event: ${name}`))
      const data = block?.split('\n').find((line) => line.startsWith('data: '))
      if (data !== undefined) return data.slice('data: '.length)
    }
  } finally {
    controller.abort()
  }
}

it('serves its AsyncAPI 3 document at /asyncapi.json, valid and true to the wire', async () => {
  server = await startServer({ port: 0, tickMs: 50, botEveryTicks: 0 })
  const response = await fetch(`${server.url}/asyncapi.json`)
  expect(response.status).toBe(200)
  expect(response.headers.get('content-type')).toMatch(/^application\/json/)
  const document = await response.json()

  const official = new Ajv({ strict: false, allErrors: true, meta: false, validateSchema: false })
  formats.default(official)
  const validate = official.compile(specs.schemas['3.0.0'] as SchemaObject)
  expect(validate(document) ? [] : validate.errors).toEqual([])

  const { port } = new URL(server.url)
  expect(document).toMatchObject({
    asyncapi: '3.0.0',
    servers: { server: { host: `localhost:${port}`, protocol: 'http' } },
    channels: { stream: { address: '/events', 'x-herald-topics': { room: {}, user: {} } } },
  })
  const names = Object.values(document.components.messages as Record<string, { name: string }>).map((each) => each.name)
  expect(names).toEqual(expect.arrayContaining(['time', 'name', 'age', 'message', 'notice', 'herald:hello']))

  // The `time` message's payload schema accepts the data a real `time` event carries.
  const payloads = new Ajv({ strict: false, allErrors: true, validateSchema: false })
  formats.default(payloads)
  payloads.addSchema(document, 'asyncapi')
  const time = payloads.compile({ $ref: 'asyncapi#/components/schemas/time' })
  const data = JSON.parse(await firstData(`${server.url}/events`, 'time'))
  expect(time(data) ? [] : time.errors).toEqual([])
  expect(time(24)).toBe(false)
})
