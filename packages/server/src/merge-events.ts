import type { StoredEvent } from './engine.ts'
import { compareEventIds } from './event-id.ts'

/**
 * Merges lists of stored events, each in id order, into one in id order, an event held by several
 * lists (a broadcast log and a topic's, say) once: the replay of a stream on several topics.
 */
export function mergeEvents(lists: readonly (readonly StoredEvent[])[]): StoredEvent[] {
  const nonEmpty = lists.filter((list) => list.length > 0)
  if (nonEmpty.length <= 1) return [...(nonEmpty[0] ?? [])]
  const all = nonEmpty.flat().sort((a, b) => compareEventIds(a.id, b.id))
  return all.filter((event, index) => index === 0 || (all[index - 1] as StoredEvent).id !== event.id)
}
