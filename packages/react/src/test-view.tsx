// The components of the browser and server-rendering tests: one widget per hook, each showing
// what its hook returns in an element with an id the tests read.
import type { HeraldClient } from '@herald/client'
import { useEffect, useRef, useState } from 'react'
import { type events, hooks } from './test-events.ts'
import { useEvent } from './use-event.ts'

/** What the test page can mount. */
export type Widget = 'age' | 'listener' | 'state' | 'room-a' | 'room-b' | 'direct'

/** Shows the latest age. */
function Age() {
  const age = hooks.useEvent('age')
  return <p id="age">{age === undefined ? 'none' : String(age)}</p>
}

/** Logs every age with the label of the latest render. */
function AgeLog({ label }: { label: string }) {
  const [log, setLog] = useState<string[]>([])
  hooks.useEventListener('age', (age) => setLog((previous) => [...previous, `${label}:${age}`]))
  return <p id="log">{log.join(',')}</p>
}

/** Shows the connection state, every state seen, the last id and the last error's code. */
function State() {
  const { state, lastEventId, error } = hooks.useConnectionState()
  const seen = useRef<string[]>([])
  if (seen.current.at(-1) !== state) seen.current = [...seen.current, state]
  return (
    <div>
      <p id="state">{state}</p>
      <p id="states">{seen.current.join(',')}</p>
      <p id="last-id">{lastEventId}</p>
      <p id="error">{error?.code ?? ''}</p>
    </div>
  )
}

/** Joins room 1. */
function Room({ id }: { id: string }) {
  hooks.useTopic('room:1')
  return <p id={id}>room:1</p>
}

/** The standalone hook, given the client directly. */
function Direct({ client }: { client: HeraldClient<typeof events> | null }) {
  const name = useEvent(client, 'name')
  return <p id="name">{name ?? 'none'}</p>
}

/** The test page: the widgets asked for, under one provider. */
export function View(props: { client: HeraldClient<typeof events> | null; widgets: readonly Widget[]; label: string }) {
  const { client, widgets, label } = props
  // Marks hydration as done, for the test that hydrates a server render.
  const [hydrated, setHydrated] = useState(false)
  useEffect(() => setHydrated(true), [])
  return (
    <hooks.HeraldProvider client={client}>
      <main data-hydrated={hydrated}>
        {widgets.includes('age') && <Age />}
        {widgets.includes('listener') && <AgeLog label={label} />}
        {widgets.includes('state') && <State />}
        {widgets.includes('room-a') && <Room id="room-a" />}
        {widgets.includes('room-b') && <Room id="room-b" />}
        {widgets.includes('direct') && <Direct client={client} />}
      </main>
    </hooks.HeraldProvider>
  )
}
