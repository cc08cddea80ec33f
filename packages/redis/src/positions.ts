// Stream positions (`ms-seq`, the part of an id after its epoch) and the events read back from
// stream entries.
import { compareEventIds, type EventId, type StoredEvent } from '@herald/server'
import type { Entry } from './entries.ts'

/** An event of `epoch` from a stream entry (of the log or of a history). */
export function eventOf(epoch: string, { id, fields }: Entry): StoredEvent {
  const topics = fields['t']
  const event = { id: `${epoch}-${id}` as EventId, name: fields['n'] ?? '', data: fields['d'] ?? '' }
  return topics === undefined || topics === '' ? event : { ...event, topics: topics.split('\n') }
}

/** Orders two stream positions `ms-seq`. */
export function compare(a: string, b: string): number {
  return compareEventIds(a as EventId, b as EventId)
}

// A stream id's parts are unsigned 64-bit integers; Redis refuses bigger ones.
const MAX_PART = '18446744073709551615'
/** True when both parts of `position` fit in Redis's unsigned 64-bit integers. */
export function inRange(position: string): boolean {
  return position
    .split('-')
    .every((part) => part.length < MAX_PART.length || (part.length === MAX_PART.length && part <= MAX_PART))
}

/** The length of the `ms-seq` at the end of an id. */
export function positionLength(id: string): number {
  const seq = id.lastIndexOf('-')
  return id.length - id.lastIndexOf('-', seq - 1) - 1
}

/** The position of an event's id; `undefined` for no event. */
export function positionOf(event: StoredEvent | undefined): string | undefined {
  return event === undefined ? undefined : event.id.slice(event.id.length - positionLength(event.id))
}
