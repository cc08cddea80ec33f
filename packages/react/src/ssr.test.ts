import type { HeraldClient } from '@herald/client'
import { beforeAll, describe, expect, it } from 'vitest'
import { loadServerRender, REACT_VERSIONS, type ServerRender } from './test-react.ts'

// Server rendering in Node, where there is no EventSource: the hooks render what they show before
// any event, and read nothing of the client (the client itself is created in the browser). The
// view is bundled with each React version (see test-react.ts).

describe.each(REACT_VERSIONS)('React %i', (react) => {
  let ssr: ServerRender

  beforeAll(async () => {
    ssr = await loadServerRender(react)
  })

  it('runs that React', () => {
    expect(ssr.version).toMatch(new RegExp(`^${react}\\.`))
  })

  it('renders the hooks on the server without a client', () => {
    expect(typeof (globalThis as { EventSource?: unknown }).EventSource).toBe('undefined')
    const html = ssr.renderView({ client: null, widgets: ['age', 'listener', 'state', 'room-a', 'direct'], label: 'a' })
    expect(html).toContain('<p id="age">none</p>')
    expect(html).toContain('<p id="state">connecting</p>')
    expect(html).toContain('<p id="name">none</p>')
    expect(html).toContain('<p id="room-a">room:1</p>')
  })

  it('touches no client handed to the hooks during a server render', () => {
    // Every property read is recorded; `events` is read by the provider to check the contract.
    const read: string[] = []
    const client = new Proxy({ events: ssr.events } as HeraldClient<typeof ssr.events>, {
      get(target, key, receiver) {
        read.push(String(key))
        return Reflect.get(target, key, receiver)
      },
    })
    const html = ssr.renderView({ client, widgets: ['age', 'listener', 'state', 'room-a', 'direct'], label: 'a' })
    expect(html).toContain('<p id="state">connecting</p>')
    expect(read.filter((key) => key !== 'events')).toEqual([])
  })
})
