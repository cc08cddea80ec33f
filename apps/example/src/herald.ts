import { createHeraldHooks } from '@herald/react'
import { events } from './events.ts'

/**
 * The page's React hooks, bound to the example's contract: event names and topics autocomplete
 * and every payload is typed (`useEvent('time')` is a `Date | undefined`). Components read the
 * client from the nearest `HeraldProvider`.
 */
export const { HeraldProvider, useHeraldClient, useEvent, useEventListener, useConnectionState, useTopic } =
  createHeraldHooks(events)
