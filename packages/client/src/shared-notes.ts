// What the tabs of a shared client tell each other over their `BroadcastChannel`, and the few
// constants both sides of it read: the tab holding the connection (shared-holder.ts) and every
// tab's own view of the stream (shared-tab-source.ts).
import type { NoteStamp } from './note-sequence.ts'

/** An event the holder relays: its id, and the topics (of those its stream joined) it was sent to. */
export interface EventNote {
  k: 'event'
  type: string
  data: string
  id: string
  topics: readonly string[]
  /** On a hello: the topics the server joined by itself, which every tab receives. */
  own?: readonly string[]
  /** On a gap: it carries its own id, where the stream joined the live events. */
  joined?: true
  to?: string
}

/**
 * What tabs tell each other over the `BroadcastChannel`; `to` addresses one tab only. Every note of
 * the tab holding the connection carries its leadership and number (`lead`, `n`).
 */
export type Note = (
  | EventNote
  | { k: 'open'; to?: string }
  | { k: 'error'; closed: boolean; message?: string | undefined; status?: number | undefined }
  | { k: 'roll' }
  /** A tab's topics and position; `known`: its stream is open already, it needs no hello. */
  | { k: 'tab'; tab: string; topics: readonly string[]; position: string; known?: true }
  | { k: 'bye'; tab: string }
  /** The holder's beacon, with the topics its stream asks for (none while it has no stream). */
  | { k: 'alive'; topics?: readonly string[] | undefined }
  /**
   * From a tab that lost notes (it was frozen): where it stands, so the holder replays what it
   * missed, and the last note it heard (a resume sent since is on its way).
   */
  | { k: 'behind'; tab: string; position: string; heard?: NoteStamp | undefined }
  /**
   * From the holder: the events it relays next follow `from` (its stream restarts there); to one
   * tab, the answer to its `behind` when there is nothing to replay.
   */
  | { k: 'resume'; from: string; to?: string }
) & { lead?: string; n?: number }

/** The notes only the tab holding the connection sends: signs that it is alive. */
export const FROM_LEADER: ReadonlySet<Note['k']> = new Set(['event', 'open', 'error', 'roll', 'alive', 'resume'])

/** How long a tab that takes the connection over waits for the others to say where they are. */
export const ROLL_CALL_MS = 100
/** The `readyState` values of an EventSource. */
export const CONNECTING = 0
export const OPEN = 1
export const CLOSED = 2
