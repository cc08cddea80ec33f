import type { HeraldEventSource } from './event-source.ts'

/**
 * The browser build's fallback: none. A browser has its own EventSource; an app that needs
 * `headers` or `fetch` passes `EventSource: HeraldEventSource`, and only then is Herald's
 * EventSource (about 6 KB) in its bundle. See `fallback-event-source.ts`.
 */
export const FallbackEventSource: typeof HeraldEventSource | undefined = undefined
