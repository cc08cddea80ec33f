import { StrictMode } from 'react'
import { createRoot } from 'react-dom/client'
import { App } from './app.tsx'
import type { AskedRooms } from './chat-view.tsx'
import { ROOMS, type Room } from './events.ts'
import { openClient, signedInUser, tabsMode } from './open-client.ts'

// The page's entry: who is signed in, the first client, then React. Clients are made here and in
// Start's click handler, never while rendering: StrictMode renders and mounts twice in
// development, and a client made there would be made twice.
// `?tabs=own` gives each tab a stream of its own, for comparison with the shared one.
const mode = tabsMode(location.search)
const user = await signedInUser()
const asked: AskedRooms = { rooms: new Set<Room>(user === undefined ? [] : ROOMS) }
const connect = () => openClient(user, () => asked.rooms, mode)

createRoot(document.getElementById('root') as HTMLElement).render(
  <StrictMode>
    <App user={user} first={connect()} connect={connect} asked={asked} mode={mode} />
  </StrictMode>,
)
