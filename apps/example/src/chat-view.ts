import type { Payload } from '@herald/schema'
import { type ExampleEvents, ROOMS, type Room } from './events.ts'

// The chat's part of the page: one panel per room, the notices, the gap notes. DOM only; what
// the client does is in page.ts.

/** Where a room stands for this page: what the server said (`client.topics`, refusals) and what was asked. */
export type RoomStatus = 'joined' | 'joining' | 'leaving' | 'left' | 'refused'

/** The most lines a list keeps; older ones go. */
const KEEP = 50

const element = (id: string) => document.getElementById(id) as HTMLElement
const roomPanel = (room: Room) => element(`room-${room}`)

/** Builds a panel per room in `#rooms`, each with a Join and a Leave button calling `onJoin` / `onLeave`. */
export function renderRooms(onJoin: (room: Room) => void, onLeave: (room: Room) => void): void {
  const rooms = element('rooms')
  const select = element('say-room') as HTMLSelectElement
  for (const room of ROOMS) {
    const panel = document.createElement('div')
    panel.id = `room-${room}`
    panel.className = 'room'
    panel.dataset['status'] = 'left'
    panel.innerHTML =
      `<h3>#${room} <span class="status">left</span> <button class="join" type="button">Join</button> ` +
      '<button class="leave" type="button">Leave</button></h3><p class="gap" hidden></p><ol class="messages"></ol>'
    panel.querySelector('.join')?.addEventListener('click', () => onJoin(room))
    panel.querySelector('.leave')?.addEventListener('click', () => onLeave(room))
    rooms.append(panel)
    select.append(new Option(`#${room}`, room))
  }
}

/** Shows `status` on `room`'s panel (also as its `data-status`). */
export function showStatus(room: Room, status: RoomStatus, why = ''): void {
  const panel = roomPanel(room)
  panel.dataset['status'] = status
  const label = panel.querySelector('.status') as HTMLElement
  label.textContent = why === '' ? status : `${status}: ${why}`
}

/** Adds a message to its room's panel. */
export function showMessage(message: Payload<ExampleEvents, 'message'>): void {
  const line = document.createElement('li')
  line.dataset['from'] = message.from
  line.dataset['text'] = message.text
  line.textContent = `${message.at.toLocaleTimeString()} ${message.from}: ${message.text}`
  append(roomPanel(message.room).querySelector('.messages') as HTMLElement, line)
}

/** Adds a notice to the notices. */
export function showNotice(notice: Payload<ExampleEvents, 'notice'>): void {
  const line = document.createElement('li')
  line.dataset['from'] = notice.from
  line.dataset['text'] = notice.text
  line.textContent = `${new Date().toLocaleTimeString()} from ${notice.from}: ${notice.text}`
  append(element('notices'), line)
}

/**
 * Notes that history was lost: for one room (`room`), or for the whole stream (`undefined`: the
 * server restarted, or the page was away longer than the server's memory). Each note counts up in
 * its element's `data-count`.
 */
export function showGap(room: Room | undefined, text: string): void {
  const note = room === undefined ? element('gap') : (roomPanel(room).querySelector('.gap') as HTMLElement)
  note.hidden = false
  note.dataset['count'] = String(Number(note.dataset['count'] ?? '0') + 1)
  note.textContent = `${new Date().toLocaleTimeString()}: ${text}`
}

function append(list: HTMLElement, line: HTMLElement) {
  list.append(line)
  while (list.children.length > KEEP) list.firstElementChild?.remove()
  list.scrollTop = list.scrollHeight
}
