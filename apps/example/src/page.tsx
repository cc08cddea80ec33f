import { StrictMode } from 'react'
import { createRoot } from 'react-dom/client'
import { App } from './app.tsx'
import type { AskedRooms } from './chat-view.tsx'
import { ROOMS, type Room } from './events.ts'
import { openClient, signedInUser } from './open-client.ts'

// The page's entry: who is signed in, the first client, then React. Clients are made here and in
// Start's click handler, never while rendering: StrictMode renders and mounts twice in
// development, and a client made there would be made twice.
const user = await signedInUser()
const asked: AskedRooms = { rooms: new Set<Room>(user === undefined ? [] : ROOMS) }
const connect = () => openClient(user, () => asked.rooms)

createRoot(document.getElementById('root') as HTMLElement).render(
  <StrictMode>
    <App user={user} first={connect()} connect={connect} asked={asked} />
  </StrictMode>,
)
