import { createClient, type HeraldClient } from '@herald/client'
import { type ExampleEvents, events } from './events.ts'

// The seed tutorial's two demos on one typed stream. Start and Stop open and close it.
const element = (id: string) => document.getElementById(id) as HTMLElement
const state = element('state')
let client: HeraldClient<ExampleEvents> | undefined

function start() {
  if (client !== undefined) return
  client = createClient(events, '/events')
  client.onState((next) => {
    state.textContent = next
    state.dataset['state'] = next
  })
  // The last problem stays on screen until the stream is open again.
  client.onOpen(() => {
    element('errors').textContent = ''
  })
  client.onError((error) => {
    element('errors').textContent = `${error.code}: ${error.message}`
  })
  client.on('time', (time) => {
    element('time').textContent = time.toLocaleTimeString()
    element('time').dataset['iso'] = time.toISOString()
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
  state.textContent = client.state
  state.dataset['state'] = client.state
}

function stop() {
  client?.close()
  client = undefined
}

element('start').addEventListener('click', start)
element('stop').addEventListener('click', stop)
start()
