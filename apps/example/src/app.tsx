import type { ConnectionState, HeraldClient, SharedHeraldClient } from '@herald/client'
import type { HeraldError } from '@herald/schema'
import { useState } from 'react'
import { type AskedRooms, Chat } from './chat-view.tsx'
import { Clock, Person } from './demos.tsx'
import type { ExampleEvents, User } from './events.ts'
import { HeraldProvider, useConnectionState, useHeraldClient } from './herald.ts'
import type { TabsMode } from './open-client.ts'

/** The props of `App`. */
export interface AppProps {
  /** Who the server says is signed in. */
  readonly user: User | undefined
  /** The client the page opened with. */
  readonly first: HeraldClient<ExampleEvents>
  /** Opens a new client: what Start does. */
  readonly connect: () => HeraldClient<ExampleEvents>
  /** The rooms the chat asks for, which a new client (Start) asks for first. */
  readonly asked: AskedRooms
  /** Whether the page's tabs share one stream (`createSharedClient`) or each opens its own. */
  readonly mode: TabsMode
}

/**
 * The whole page: the connection, the seed tutorial's two demos and the chat, every part reading
 * the one client through `HeraldProvider`. Stop closes the client and keeps it, so the badge says
 * `closed` and the last values stay on screen; Start opens a new one.
 */
export function App({ user, first, connect, asked, mode }: AppProps) {
  const factory = mode === 'shared' ? 'createSharedClient' : 'createClient'

  const [client, setClient] = useState(first)
  const start = () => {
    if (client.state === 'closed') setClient(connect())
  }
  return (
    <HeraldProvider client={client}>
      <h1>Herald example</h1>
      <p id="about">
        One typed server-sent event stream, <code>/events</code>, read by <code>@herald/client</code> and shown with the
        React hooks of <code>@herald/react</code>. The server emits a <code>time</code> event every second, and a{' '}
        <code>name</code> then an <code>age</code> a second later; each payload is checked against the shared zod
        schemas on both ends, and a <code>time</code> arrives here as a real <code>Date</code>. If the connection drops,
        the client reconnects by itself and resumes after the last event it got.{' '}
        <span id="tabs" data-mode={mode}>
          {mode === 'shared' ? (
            <>
              All the tabs you open of this page share one connection (<code>createSharedClient</code>): one tab holds
              the stream and passes its events to the others, and when it closes another takes over;{' '}
              <a href="?tabs=own">open it with ?tabs=own</a> for one connection per tab.
            </>
          ) : (
            <>
              Each tab of this page opens a connection of its own (<code>createClient</code>, <code>?tabs=own</code>
              ); <a href="/">without it</a> the tabs share one.
            </>
          )}
        </span>
      </p>
      <div className="bar">
        <Connection />
        <button id="start" type="button" title="Open the stream: the client connects and resumes" onClick={start}>
          Start
        </button>
        <button
          id="stop"
          type="button"
          title="Close the stream for good: client.close()"
          onClick={() => client.close()}
        >
          Stop
        </button>
      </div>
      <p className="hint">
        <strong>Start</strong> opens the stream (<code>{factory}</code>); <strong>Stop</strong> closes it (
        <code>client.close()</code>): the server drops the connection and the values stop updating.
      </p>
      <Problem />
      <div className="demos">
        <Clock />
        <Person />
      </div>
      <Chat user={user} asked={asked} />
    </HeraldProvider>
  )
}

/**
 * The connection badge and the last event id: `useConnectionState()`. Shared, whether this tab
 * holds the connection (`client.leader`, read on each render: each event renders it again).
 */
function Connection() {
  const { state, lastEventId } = useConnectionState()
  const leader = (useHeraldClient() as Partial<SharedHeraldClient<ExampleEvents>> | null)?.leader
  return (
    <p>
      Connection:{' '}
      <span id="state" data-state={state} data-leader={leader}>
        {state}
      </span>{' '}
      <span id="holder" className="note">
        {leader === undefined || state === 'closed' ? '' : leader ? 'this tab holds it' : 'through another tab'}
      </span>{' '}
      <span className="note" title="Sent as Last-Event-ID when the client reconnects">
        {lastEventId === '' ? '' : `last id ${lastEventId}`}
      </span>
    </p>
  )
}

// Refused rooms and lost history are the chat's to show, not problems of the stream.
const ownedByTheChat = new Set(['TOPIC_REFUSED', 'HISTORY_GAP'])

/**
 * The last problem the client reported (`useConnectionState().error`), until the stream is open
 * again: e.g. `CONNECTION_LOST` while it reconnects. Worked out while rendering, from what the
 * previous render saw, so it changes in the same render as the badge.
 */
function Problem() {
  const { state, error } = useConnectionState()
  const [seen, setSeen] = useState<{ state: ConnectionState; error?: HeraldError | undefined; problem?: HeraldError }>({
    state,
    error,
  })
  let problem = seen.problem
  if (seen.state !== state || seen.error !== error) {
    if (error !== seen.error && error !== undefined && !ownedByTheChat.has(error.code)) problem = error
    if (state === 'open' && seen.state !== 'open') problem = undefined // the stream is back
    setSeen(problem === undefined ? { state, error } : { state, error, problem })
  }
  return <p id="errors">{problem === undefined ? '' : `${problem.code}: ${problem.message}`}</p>
}
