// How a tab notices it lost notes from the tab holding the connection, without a clock. Chromium
// drops the messages a paused page would have received, and a pause shorter than the leader
// timeout leaves no other trace. So the holder numbers every note it sends within its leadership
// (an id of its own, set when it takes over, and 1, 2, 3…); a tab that sees a number skipped knows
// it lost notes, whatever the time it took. The holder's beacon is numbered too, so a loss shows
// within a beacon period even when no event follows.

/** Where a note stands among the holder's: its leadership, and its number within it (from 1). */
export interface NoteStamp {
  readonly lead: string
  readonly n: number
}

/**
 * What a tab makes of a note from the holder: `next` follows the last one; `first` opens a
 * leadership this tab had not heard (its start, or any note of the first leadership the tab ever
 * hears: it just joined); `seen` repeats one (drop it); `lost` comes after notes this tab missed.
 */
export type NoteVerdict = 'next' | 'first' | 'seen' | 'lost'

/** One tab's numbering: the stamps it sends while holding the connection, and its judge of the others'. */
export interface NoteSequence {
  /** This tab takes the connection over: a new leadership, numbered from 1. */
  lead(): void
  /** The stamp of the next note this tab sends, holding the connection. */
  stamp(): NoteStamp
  /** Judges a note from the holder, and remembers it. */
  check(stamp: NoteStamp): NoteVerdict
  /** The last note this tab judged (not `seen`), if any: a woken tab says so, with where it stands. */
  readonly heard: NoteStamp | undefined
  /** The leadership this tab last took, if any. */
  readonly mine: string | undefined
}

/** Options of `createNoteSequence`. */
export interface NoteSequenceOptions {
  /** Makes a leadership id. @default 10 random base-36 digits */
  randomId?: (() => string) | undefined
  /** How many leaderships a tab keeps the last number of (the old holder may speak after the new). @default 8 */
  remember?: number | undefined
}

const randomDigits = () => Math.random().toString(36).slice(2, 12)

/** Starts a tab's numbering, having heard no leadership. */
export function createNoteSequence(options: NoteSequenceOptions = {}): NoteSequence {
  const { randomId = randomDigits, remember = 8 } = options
  /** The last number heard of each leadership, oldest first. */
  const last = new Map<string, number>()
  let mine: string | undefined
  let sent = 0
  let heard: NoteStamp | undefined

  const keep = (lead: string, n: number) => {
    last.delete(lead)
    last.set(lead, n)
    if (last.size > remember) last.delete(last.keys().next().value as string)
  }

  return {
    lead() {
      mine = randomId()
      sent = 0
      // A tab that held the connection has heard a leadership: when it steps down (it was frozen,
      // and another took over), the new holder's notes midway show what it missed.
      keep(mine, 0)
    },
    stamp: () => ({ lead: mine ?? '', n: ++sent }),
    check(stamp) {
      const { lead, n } = stamp
      const before = last.get(lead)
      // One BroadcastChannel keeps each sender's order, so a number not above the last one is a
      // note this tab had already (a duplicate), never an old one arriving late.
      if (before !== undefined && n <= before) return 'seen'
      const verdict =
        before !== undefined ? (n === before + 1 ? 'next' : 'lost') : n === 1 || last.size === 0 ? 'first' : 'lost'
      keep(lead, n)
      heard = stamp
      return verdict
    },
    get heard() {
      return heard
    },
    get mine() {
      return mine
    },
  }
}
