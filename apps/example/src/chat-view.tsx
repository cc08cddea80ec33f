import type { HeraldError } from '@herald/schema'
import { type FormEvent, useEffect, useLayoutEffect, useState } from 'react'
import { ROOMS, type Room, USERS, type User } from './events.ts'
import { useConnectionState, useEventListener, useHeraldClient } from './herald.ts'
import { post } from './open-client.ts'
import { type GapNote, type Line, Lines, type RoomStatus, RoomView } from './room-view.tsx'

/** The rooms the chat asks for: `Chat` keeps it current, and a new client (Start) asks for them first. */
export interface AskedRooms {
  rooms: ReadonlySet<Room>
}

/** The most lines a list keeps; older ones go. */
const KEEP = 50
let nextKey = 0
const now = () => new Date().toLocaleTimeString()
const added = <T,>(set: ReadonlySet<T>, item: T) => new Set([...set, item])
const removed = <T,>(set: ReadonlySet<T>, item: T) => new Set([...set].filter((each) => each !== item))

function roomOf(topic: string | undefined): Room | undefined {
  const name = topic?.startsWith('room:') ? topic.slice('room:'.length) : undefined
  return ROOMS.find((room) => room === name)
}

/** Where a gap note goes: a room's, or the whole stream's (`''`). */
type GapKey = Room | ''

/**
 * The chat: sign-in, a panel per room (joined and left live with `useTopic`), posting, notices,
 * and the notes of refused rooms and lost history. Messages and notices come in through
 * `useEventListener`; refusals and gaps through the client's `onError`.
 */
export function Chat({ user, asked }: { user: User | undefined; asked: AskedRooms }) {
  const client = useHeraldClient()
  // Re-renders on each event and change of state: `client.topics` (what the server's latest hello
  // said the stream joined) has no hook of its own, so the chat re-reads it then.
  const { state } = useConnectionState()
  const [wanted, setWanted] = useState(asked.rooms)
  const [refused, setRefused] = useState<ReadonlySet<Room>>(new Set())
  const [messages, setMessages] = useState<Readonly<Record<Room, readonly Line[]>>>({ lobby: [], dev: [], secret: [] })
  const [notices, setNotices] = useState<readonly Line[]>([])
  const [gaps, setGaps] = useState<Partial<Record<GapKey, GapNote>>>({})
  const [say, setSay] = useState<{ room: Room; text: string }>({ room: 'lobby', text: '' })
  const [result, setResult] = useState('')

  // Before any effect: a client opened by Start asks for the rooms wanted now. (Each connection's
  // ticket names the topics it asks for: the client gives them to the ticket function.)
  useLayoutEffect(() => {
    asked.rooms = wanted
  }, [asked, wanted])

  useEventListener('message', (message) => {
    const shown = `${message.at.toLocaleTimeString()} ${message.from}: ${message.text}`
    const line = { key: nextKey++, from: message.from, text: message.text, shown }
    setMessages((all) => ({ ...all, [message.room]: [...all[message.room], line].slice(-KEEP) }))
  })
  useEventListener('notice', (notice) => {
    const line = {
      key: nextKey++,
      from: notice.from,
      text: notice.text,
      shown: `${now()} from ${notice.from}: ${notice.text}`,
    }
    setNotices((all) => [...all, line].slice(-KEEP))
  })
  useEffect(() => {
    const noteGap = (key: GapKey, text: string) =>
      setGaps((all) => ({ ...all, [key]: { count: (all[key]?.count ?? 0) + 1, text: `${now()}: ${text}` } }))
    return client?.onError((error: HeraldError) => {
      const room = roomOf(error.topic)
      if (error.code === 'TOPIC_REFUSED' && room !== undefined) {
        setWanted((rooms) => removed(rooms, room))
        setRefused((rooms) => added(rooms, room))
      } else if (error.code === 'HISTORY_GAP') {
        if (room !== undefined) noteGap(room, 'messages of this room were lost here; what follows is live')
        else if (error.topic !== undefined) noteGap('', 'some of your notices were lost here')
        else noteGap('', 'the server no longer holds what was sent while this page was away (it restarted?)')
      }
    })
  }, [client])

  const join = (room: Room) => {
    setRefused((rooms) => removed(rooms, room))
    setWanted((rooms) => added(rooms, room))
  }
  const leave = (room: Room) => setWanted((rooms) => removed(rooms, room))
  const send = (event: FormEvent) => {
    event.preventDefault()
    void post('/say', say).then(setResult)
    setSay({ ...say, text: '' })
  }
  const nudge = () => {
    const other = USERS.find((name) => name !== user)
    void post('/notice', { to: other, text: `${user} nudged you` }).then(setResult)
  }

  const running = client !== null && state !== 'closed'
  const joined = new Set<string>(running ? client.topics : [])
  const statusOf = (room: Room): RoomStatus => {
    if (refused.has(room)) return 'refused'
    if (joined.has(`room:${room}`)) return wanted.has(room) ? 'joined' : 'leaving'
    return wanted.has(room) && running && user !== undefined ? 'joining' : 'left'
  }
  const streamGap = gaps['']

  return (
    <section id="chat" data-topics={[...joined].join(' ')}>
      <h2>
        Chat (topics: <code>room:&lt;name&gt;</code>, <code>user:&lt;name&gt;</code>)
      </h2>
      <p id="chat-about" className="note">
        The chat shares the stream above, with <em>topics</em>. Sign in as alice or bob (a demo: no password; the server
        remembers who you are in a signed, HttpOnly cookie). The page then asks <code>POST /tickets</code> for a
        short-lived, single-use stream <em>ticket</em> naming the rooms of each connection before it opens{' '}
        <code>/events?ticket=…&amp;topic=room:lobby&amp;…</code>; with the tabs sharing one connection, the tab holding
        it asks for every tab's rooms, and its ticket names them all. The server joins the stream to{' '}
        <code>user:&lt;you&gt;</code> itself (your notices) and asks <code>authorize</code> about each room:{' '}
        <code>secret</code> is alice's only, so bob's page shows it <em>refused</em> while his other rooms carry on.
        Each room's panel holds its topic with <code>useTopic</code>: <strong>Join</strong> and <strong>Leave</strong>{' '}
        switch rooms live (one quick reconnect that resumes from the last event). Messages arrive through{' '}
        <code>useEventListener('message', …)</code>. If the server restarts, the page notes the <em>gap</em>: what was
        sent while it was away is lost. Open a private window to be both users side by side.
      </p>
      <div className="bar">
        <span>
          Signed in as{' '}
          <strong id="user" data-user={user ?? ''}>
            {user ?? 'nobody'}
          </strong>
        </span>
        <form method="post" action="/login?as=alice">
          <button id="login-alice" type="submit">
            Sign in as alice
          </button>
        </form>
        <form method="post" action="/login?as=bob">
          <button id="login-bob" type="submit">
            Sign in as bob
          </button>
        </form>
        <form method="post" action="/logout">
          <button id="logout" type="submit">
            Sign out
          </button>
        </form>
      </div>
      <p id="gap" hidden={streamGap === undefined} data-count={streamGap?.count}>
        {streamGap?.text}
      </p>
      <div id="rooms">
        {ROOMS.map((room) => (
          <RoomView
            key={room}
            room={room}
            wanted={user !== undefined && wanted.has(room)}
            status={statusOf(room)}
            lines={messages[room]}
            gap={gaps[room]}
            canJoin={user !== undefined}
            onJoin={join}
            onLeave={leave}
          />
        ))}
      </div>
      <div className="bar">
        <form id="say" onSubmit={send}>
          <select
            id="say-room"
            aria-label="Room"
            value={say.room}
            onChange={(event) => setSay({ ...say, room: event.target.value as Room })}
          >
            {ROOMS.map((room) => (
              <option key={room} value={room}>
                #{room}
              </option>
            ))}
          </select>
          <input
            id="say-text"
            aria-label="Message"
            placeholder="Say something"
            maxLength={500}
            value={say.text}
            onChange={(event) => setSay({ ...say, text: event.target.value })}
          />
          <button id="say-send" type="submit">
            Send
          </button>
        </form>
        <span id="say-result" className="note">
          {result}
        </span>
      </div>
      <h3>
        Notices (
        <code>
          user:<span id="user-topic">{user ?? '…'}</span>
        </code>
        , joined by the server)
      </h3>
      <p>
        <button id="nudge" type="button" onClick={nudge}>
          Nudge the other user
        </button>
      </p>
      <Lines id="notices" lines={notices} />
    </section>
  )
}
