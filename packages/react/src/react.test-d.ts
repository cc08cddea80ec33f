import type { HeraldClient } from '@herald/client'
import { defineEvents } from '@herald/schema'
import { expectTypeOf } from 'vitest'
import * as z from 'zod'
import {
  type ConnectionSnapshot,
  createHeraldHooks,
  useConnectionState,
  useEvent,
  useEventListener,
  useTopic,
} from './index.ts'

// Compile-time tests, checked by `tsc -p packages/react/tsconfig.json`. Nothing here renders:
// hooks are called inside `typeOnly`, which never runs its body.

/** Type-checks `body` without running it. */
function typeOnly(_body: () => unknown): void {}

const events = defineEvents(
  { name: z.string(), age: z.number().int(), time: z.date() },
  { topics: { room: z.int(), user: z.string() } },
)
declare const client: HeraldClient<typeof events>
declare const maybe: HeraldClient<typeof events> | null

typeOnly(() => {
  expectTypeOf(useEvent(client, 'age')).toEqualTypeOf<number | undefined>()
  expectTypeOf(useEvent(client, 'time')).toEqualTypeOf<Date | undefined>()
  expectTypeOf(useEvent(maybe, 'name')).toEqualTypeOf<string | undefined>()
  // @ts-expect-error 'agee' is not an event of the contract
  useEvent(client, 'agee')

  useEventListener(client, 'age', (age, meta) => {
    expectTypeOf(age).toEqualTypeOf<number>()
    expectTypeOf(meta.name).toEqualTypeOf<'age'>()
  })
  // @ts-expect-error an age is a number, not a string
  useEventListener(client, 'age', (age: string) => age)
  // @ts-expect-error 'agee' is not an event of the contract
  useEventListener(client, 'agee', () => {})

  expectTypeOf(useConnectionState(maybe)).toEqualTypeOf<ConnectionSnapshot>()
  expectTypeOf(useConnectionState(client).state).toEqualTypeOf<'connecting' | 'open' | 'reconnecting' | 'closed'>()

  useTopic(client, 'room:42')
  useTopic(maybe, 'user:ada')
  useTopic(client, null)
  // @ts-expect-error 'rom' is not a kind of topic of the contract
  useTopic(client, 'rom:42')
  // @ts-expect-error a room's parameter is a number
  useTopic(client, 'room:abc')
})

const bound = createHeraldHooks(events)
typeOnly(() => {
  expectTypeOf(bound.useEvent('age')).toEqualTypeOf<number | undefined>()
  expectTypeOf(bound.useHeraldClient()).toEqualTypeOf<HeraldClient<typeof events> | null>()
  // @ts-expect-error 'agee' is not an event of the contract
  bound.useEvent('agee')
  bound.useEventListener('time', (time) => expectTypeOf(time).toEqualTypeOf<Date>())
  bound.useTopic('room:1')
  // @ts-expect-error 'rom' is not a kind of topic of the contract
  bound.useTopic('rom:1')
  bound.HeraldProvider({ client, children: null })
  bound.HeraldProvider({ client: null })
})

const other = defineEvents({ age: z.string() })
declare const otherClient: HeraldClient<typeof other>
typeOnly(() => {
  // @ts-expect-error a client of another contract
  bound.HeraldProvider({ client: otherClient })
  // A contract without topics has no topic to join.
  // @ts-expect-error no topic is declared
  useTopic(otherClient, 'room:1')
  expectTypeOf(useEvent(otherClient, 'age')).toEqualTypeOf<string | undefined>()
})
