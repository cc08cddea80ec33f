import type { HeraldClient } from '@herald/client'
import type { AnyEvents, Topic } from '@herald/schema'

// How many mounted components hold each topic of each client. Weak: the counts go with the client.
const counts = new WeakMap<object, Map<string, number>>()

/**
 * Holds `topic` on `client` for one component: the first holder subscribes, the last to release
 * unsubscribes. Returns the release, which does something once only. A closed client is not
 * asked (its `subscribe` would throw `CHANNEL_CLOSED`; its `unsubscribe` does nothing).
 */
export function holdTopic<TEvents extends AnyEvents>(client: HeraldClient<TEvents>, topic: Topic<TEvents>): () => void {
  let byTopic = counts.get(client)
  if (byTopic === undefined) {
    byTopic = new Map()
    counts.set(client, byTopic)
  }
  const held = byTopic
  const count = held.get(topic) ?? 0
  held.set(topic, count + 1)
  // StrictMode's mount, unmount, mount runs subscribe, unsubscribe, subscribe in one tick; the
  // client makes one reconnect of changes made in one tick, so that costs one reconnect, as one
  // mount does.
  if (count === 0 && client.state !== 'closed') client.subscribe(topic)
  let released = false
  return () => {
    if (released) return
    released = true
    const left = (held.get(topic) ?? 1) - 1
    if (left > 0) {
      held.set(topic, left)
      return
    }
    held.delete(topic)
    client.unsubscribe(topic)
  }
}
