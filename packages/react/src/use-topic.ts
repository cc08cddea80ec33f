import type { AnyEvents, Topic } from '@herald/schema'
import { useEffect } from 'react'
import { holdTopic } from './topic-count.ts'
import type { MaybeClient } from './types.ts'

/**
 * Joins `topic` while the component is mounted: subscribes on mount, unsubscribes on unmount,
 * counted across components, so two components on `room:42` make one subscription, left when the
 * last one unmounts. `null` or `undefined` joins nothing. Give it only topics the app does not
 * otherwise ask for (in `createClient`'s `topics` or by `client.subscribe`): it leaves them.
 */
export function useTopic<TEvents extends AnyEvents>(
  client: MaybeClient<TEvents>,
  topic: Topic<TEvents> | null | undefined,
): void {
  useEffect(() => {
    if (client == null || topic == null) return undefined
    return holdTopic(client, topic)
  }, [client, topic])
}
