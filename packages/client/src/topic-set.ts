import { type AnyEvents, topicProblem } from '@herald/schema'

/**
 * The topics of one client: those it asks the server for, those its current connection asked for
 * (so a change of mind is one reconnect, and no change none), and those the server says it joined.
 */
export interface TopicSet {
  /** Asks for `topic` from the next connection on; whether it was not asked for yet. */
  add(topic: string): boolean
  /** Stops asking for `topic`; whether it was asked for. */
  remove(topic: string): boolean
  /** The server refused `topic`: no later connection asks for it (unless it is added again). */
  refused(topic: string): void
  /** A new connection asks for the topics asked for now: returns them, in the order they were added. */
  connecting(): readonly string[]
  /** Whether the topics asked for differ from those the current connection asked for. */
  readonly changed: boolean
  /** The server's `herald:hello` named the topics the stream joined; those not in the contract are left out. */
  hello(topics: readonly string[] | undefined): void
  /** The topics the stream joined, as the last `herald:hello` said; frozen, [] before it. */
  readonly joined: readonly string[]
}

// Topics cannot hold control characters, so a newline separates them unambiguously.
const keyOf = (topics: Iterable<string>) => [...topics].join('\n')

/** Creates the topic set of a client that first asks for `initial` (already checked). */
export function createTopicSet(events: AnyEvents, initial: readonly string[]): TopicSet {
  // A Set keeps the order topics were added in and drops repeats.
  const requested = new Set(initial)
  let asked: readonly string[] = []
  let joined: readonly string[] = Object.freeze([])
  return {
    add(topic) {
      if (requested.has(topic)) return false
      requested.add(topic)
      return true
    },
    remove: (topic) => requested.delete(topic),
    // Dropped from the topics asked for only: the current connection's URL still names it, so
    // `changed` tells the client to reconnect with a URL of its own rather than let the
    // EventSource reuse that one.
    refused(topic) {
      requested.delete(topic)
    },
    connecting() {
      asked = [...requested]
      return asked
    },
    get changed() {
      return keyOf(requested) !== keyOf(asked)
    },
    hello(topics) {
      // The type promises the contract's topics; a server on a newer contract may name others.
      joined = Object.freeze((topics ?? []).filter((topic) => topicProblem(events, topic) === undefined))
    },
    get joined() {
      return joined
    },
  }
}

/**
 * The URL of one connection: `href` with a `topic` parameter per topic, in order, and the
 * `ticket` when there is one. `href` itself when there is neither.
 */
export function streamUrl(href: string, topics: readonly string[], ticket?: string): string {
  if (topics.length === 0 && ticket === undefined) return href
  const url = new URL(href, (globalThis as { location?: { href: string } }).location?.href)
  for (const topic of topics) url.searchParams.append('topic', topic)
  if (ticket !== undefined) url.searchParams.set('ticket', ticket)
  return url.href
}
