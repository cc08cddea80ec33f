import { createClient, type HeraldClient } from '@herald/client'
import { type RoomStatus, renderRooms, showGap, showMessage, showNotice, showStatus } from './chat-view.ts'
import { type ExampleEvents, type ExampleTopic, events, ROOMS, type Room, USERS, type User } from './events.ts'

// The seed tutorial's two demos and the chat, on one typed stream. Start and Stop open and close it.
const element = (id: string) => document.getElementById(id) as HTMLElement
const state = element('state')
let client: HeraldClient<ExampleEvents> | undefined

// Who the server says is signed in (its cookie is HttpOnly: the page cannot read or forge it).
const me = (await (await fetch('/me')).json()) as { user: User | null }
const user = me.user ?? undefined
// The rooms this page wants, and those the server refused it.
const wanted = new Set<Room>(ROOMS)
const refused = new Set<Room>()

/** A fresh single-use stream ticket for the rooms wanted now; the client asks before every connection. */
async function ticket(): Promise<string> {
  const query = new URLSearchParams([...wanted].map((room) => ['topic', `room:${room}`]))
  const response = await fetch(`/tickets?${query}`, { method: 'POST' })
  if (!response.ok) throw new Error(`POST /tickets answered ${response.status}: ${await response.text()}`)
  return ((await response.json()) as { ticket: string }).ticket
}

function start() {
  if (client !== undefined) return
  // Signed out: the public stream, broadcasts only. Signed in: the chat's rooms too, with a ticket.
  const topics = [...wanted].map((room): ExampleTopic => `room:${room}`)
  client = user === undefined ? createClient(events, '/events') : createClient(events, '/events', { topics, ticket })
  client.onState((next) => {
    state.textContent = next
    state.dataset['state'] = next
    renderStatuses()
  })
  // The last problem stays on screen until the stream is open again.
  client.onOpen(() => {
    element('errors').textContent = ''
  })
  client.onError((error) => {
    const room = roomOf(error.topic)
    if (error.code === 'TOPIC_REFUSED' && room !== undefined) {
      wanted.delete(room)
      refused.add(room)
    } else if (error.code === 'HISTORY_GAP') {
      if (room !== undefined) showGap(room, 'messages of this room were lost here; what follows is live')
      else if (error.topic !== undefined) showGap(undefined, 'some of your notices were lost here')
      else showGap(undefined, 'the server no longer holds what was sent while this page was away (it restarted?)')
    } else {
      element('errors').textContent = `${error.code}: ${error.message}`
    }
    renderStatuses()
  })
  client.on('time', (time) => {
    element('time').textContent = time.toLocaleTimeString()
    element('time').dataset['iso'] = time.toISOString()
    renderStatuses()
  })
  client.on('name', (name) => {
    element('name').textContent = name
    element('age').textContent = ''
  })
  client.on('age', (age) => {
    // A page opened between a name and its age gets the age first.
    if (element('name').textContent === '') element('name').textContent = '…'
    element('age').textContent = `${age} years`
  })
  client.on('message', (message) => {
    showMessage(message)
    renderStatuses()
  })
  client.on('notice', showNotice)
  state.textContent = client.state
  state.dataset['state'] = client.state
  renderStatuses()
}

function stop() {
  client?.close()
  client = undefined
  renderStatuses()
}

/**
 * Shows each room's status. `client.topics` is what the server's latest hello said the stream
 * joined; it has no hook of its own, so the page re-reads it on each event and state change.
 */
function renderStatuses() {
  const joined = new Set<string>(client?.topics ?? [])
  element('chat').dataset['topics'] = [...joined].join(' ')
  for (const room of ROOMS) {
    const topic = `room:${room}`
    let status: RoomStatus = 'left'
    if (refused.has(room)) status = 'refused'
    else if (joined.has(topic)) status = wanted.has(room) ? 'joined' : 'leaving'
    else if (wanted.has(room) && client !== undefined && user !== undefined) status = 'joining'
    showStatus(room, status, status === 'refused' ? 'not allowed for you' : '')
  }
}

function join(room: Room) {
  if (user === undefined) return
  refused.delete(room)
  wanted.add(room) // before subscribe: the ticket for the next connection names it
  client?.subscribe(`room:${room}`)
  renderStatuses()
}

function leave(room: Room) {
  wanted.delete(room)
  client?.unsubscribe(`room:${room}`)
  renderStatuses()
}

function roomOf(topic: string | undefined): Room | undefined {
  const name = topic?.startsWith('room:') ? topic.slice('room:'.length) : undefined
  return ROOMS.find((room) => room === name)
}

/** Posts JSON as the signed-in user; shows what went wrong, if anything. */
async function post(path: string, body: unknown) {
  const response = await fetch(path, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  })
  element('say-result').textContent = response.ok ? '' : `${response.status}: ${await response.text()}`
}

renderRooms(join, leave)
element('user').textContent = user ?? 'nobody'
element('user').dataset['user'] = user ?? ''
element('user-topic').textContent = user ?? '…'
element('say').addEventListener('submit', (event) => {
  event.preventDefault()
  const text = element('say-text') as HTMLInputElement
  void post('/say', { room: (element('say-room') as HTMLSelectElement).value, text: text.value })
  text.value = ''
})
element('nudge').addEventListener('click', () => {
  const other = USERS.find((name) => name !== user)
  void post('/notice', { to: other, text: `${user} nudged you` })
})
element('start').addEventListener('click', start)
element('stop').addEventListener('click', stop)
start()
