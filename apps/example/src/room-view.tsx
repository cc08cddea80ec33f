import { useLayoutEffect, useRef } from 'react'
import type { Room } from './events.ts'
import { useTopic } from './herald.ts'

/** Where a room stands for this page: what the server said (`client.topics`, refusals) and what was asked. */
export type RoomStatus = 'joined' | 'joining' | 'leaving' | 'left' | 'refused'

/** One line of a list: a message or a notice. */
export interface Line {
  readonly key: number
  readonly from: string
  readonly text: string
  /** What the page shows: the time, who, what. */
  readonly shown: string
}

/** A note that history was lost, counted up each time (`data-count`). */
export interface GapNote {
  readonly count: number
  readonly text: string
}

/** The props of `RoomView`. */
export interface RoomViewProps {
  readonly room: Room
  /** Whether the page asks for the room: `useTopic` joins it while so. */
  readonly wanted: boolean
  readonly status: RoomStatus
  readonly lines: readonly Line[]
  readonly gap: GapNote | undefined
  /** Whether Join and Leave do anything (only a signed-in page asks for rooms). */
  readonly canJoin: boolean
  onJoin(room: Room): void
  onLeave(room: Room): void
}

/**
 * A room's panel: its status, Join and Leave, its gap note and its messages. While the page wants
 * the room, `useTopic` holds `room:<name>` on the client: the client already asks for the rooms it
 * was opened with, so holding one costs nothing, and releasing it (Leave, or the server refused
 * it) is the client's `unsubscribe`: one quick reconnect from the last event.
 */
export function RoomView({ room, wanted, status, lines, gap, canJoin, onJoin, onLeave }: RoomViewProps) {
  useTopic(wanted ? `room:${room}` : null)
  const why = status === 'refused' ? 'not allowed for you' : ''
  const title = canJoin ? undefined : 'Sign in first'
  return (
    <div id={`room-${room}`} className="room" data-status={status}>
      <h3>
        #{room} <span className="status">{why === '' ? status : `${status}: ${why}`}</span>{' '}
        <button className="join" type="button" disabled={!canJoin} title={title} onClick={() => onJoin(room)}>
          Join
        </button>
        <button className="leave" type="button" disabled={!canJoin} title={title} onClick={() => onLeave(room)}>
          Leave
        </button>
      </h3>
      <p className="gap" hidden={gap === undefined} data-count={gap?.count}>
        {gap?.text}
      </p>
      <Lines className="messages" lines={lines} />
    </div>
  )
}

/** A list of lines, scrolled to the newest. */
export function Lines({ id, className, lines }: { id?: string; className?: string; lines: readonly Line[] }) {
  const list = useRef<HTMLOListElement>(null)
  useLayoutEffect(() => {
    if (list.current !== null && lines.length > 0) list.current.scrollTop = list.current.scrollHeight
  }, [lines])
  return (
    <ol id={id} className={className} ref={list}>
      {lines.map((line) => (
        <li key={line.key} data-from={line.from} data-text={line.text}>
          {line.shown}
        </li>
      ))}
    </ol>
  )
}
