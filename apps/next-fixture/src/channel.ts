// One channel for the whole app. Kept on globalThis: `next dev` may evaluate a route's module
// again (after an edit, or once per route bundle), and every route must see the same channel.

import type { Channel } from '@herald/server'
import { createChannel } from '@herald/server'
import { fixtureEvents } from './events.ts'

type FixtureChannel = Channel<typeof fixtureEvents>
const holder = globalThis as { heraldFixtureChannel?: FixtureChannel }

holder.heraldFixtureChannel ??= createChannel(fixtureEvents, { heartbeatMs: 1000, retryMs: 200 })

/** The app's channel: heartbeats every second, so a stream's end is noticed quickly. */
export const channel: FixtureChannel = holder.heraldFixtureChannel
