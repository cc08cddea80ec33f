import type { HeraldClient } from '@herald/client'
import { defineEvents, isHeraldError } from '@herald/schema'
import { createElement } from 'react'
import { renderToString } from 'react-dom/server'
import { expect, it } from 'vitest'
import * as z from 'zod'
import { events, hooks } from './test-events.ts'

function Age() {
  return createElement('p', null, String(hooks.useEvent('age')))
}

const codeOf = (render: () => unknown) => {
  try {
    render()
  } catch (error) {
    return isHeraldError(error) ? error.code : String(error)
  }
  return 'no error'
}

it('throws INVALID_OPTIONS for a bound hook outside its provider', () => {
  expect(codeOf(() => renderToString(createElement(Age)))).toBe('INVALID_OPTIONS')
  // A provider without a client (yet) is fine: the hooks do nothing.
  expect(renderToString(createElement(hooks.HeraldProvider, { client: null }, createElement(Age)))).toBe(
    '<p>undefined</p>',
  )
})

it("throws INVALID_OPTIONS for a client of another contract, whose types would not be the provider's", () => {
  const other = defineEvents({ age: z.string() })
  const client = { events: other } as unknown as HeraldClient<typeof events>
  expect(codeOf(() => renderToString(createElement(hooks.HeraldProvider, { client }, createElement(Age))))).toBe(
    'INVALID_OPTIONS',
  )
  const same = { events } as HeraldClient<typeof events>
  expect(renderToString(createElement(hooks.HeraldProvider, { client: same }, createElement(Age)))).toBe(
    '<p>undefined</p>',
  )
})
