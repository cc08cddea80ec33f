import { HeraldEventSource } from './event-source.ts'

/**
 * The EventSource the client falls back on where the runtime has none (Node) or when `headers`
 * or `fetch` are given: Herald's own. Imported as `#fallback-event-source`, whose `browser`
 * condition resolves `fallback-event-source.browser.ts` instead, so browser bundles leave
 * Herald's EventSource and its parser out unless the app imports `HeraldEventSource` itself.
 */
export const FallbackEventSource: typeof HeraldEventSource | undefined = HeraldEventSource
