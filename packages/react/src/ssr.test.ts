import type { HeraldClient } from '@herald/client'
import { createElement } from 'react'
import { renderToString } from 'react-dom/server'
import { expect, it } from 'vitest'
import { events } from './test-events.ts'
import { View } from './test-view.tsx'

// Server rendering in Node, where there is no EventSource: the hooks render what they show before
// any event, and read nothing of the client (the client itself is created in the browser).

it('renders the hooks on the server without a client', () => {
  expect(typeof (globalThis as { EventSource?: unknown }).EventSource).toBe('undefined')
  const html = renderToString(
    createElement(View, { client: null, widgets: ['age', 'listener', 'state', 'room-a', 'direct'], label: 'a' }),
  )
  expect(html).toContain('<p id="age">none</p>')
  expect(html).toContain('<p id="state">connecting</p>')
  expect(html).toContain('<p id="name">none</p>')
  expect(html).toContain('<p id="room-a">room:1</p>')
})

it('touches no client handed to the hooks during a server render', () => {
  // Every property read is recorded; `events` is read by the provider to check the contract.
  const read: string[] = []
  const client = new Proxy({ events } as HeraldClient<typeof events>, {
    get(target, key, receiver) {
      read.push(String(key))
      return Reflect.get(target, key, receiver)
    },
  })
  const html = renderToString(
    createElement(View, { client, widgets: ['age', 'listener', 'state', 'room-a', 'direct'], label: 'a' }),
  )
  expect(html).toContain('<p id="state">connecting</p>')
  expect(read.filter((key) => key !== 'events')).toEqual([])
})
