// The browser entry of the hook tests, bundled by test-server.ts: the tests drive it through
// `window.heraldTest`. The client is wrapped to count the listeners and hooks the React hooks
// hold on it (added, and still held), the one thing a client does not show.
import { createClient, type HeraldClient } from '@herald/client'
import { StrictMode, version } from 'react'
import { createRoot, hydrateRoot, type Root } from 'react-dom/client'
import { events } from './test-events.ts'
import { View, type Widget } from './test-view.tsx'

type Client = HeraldClient<typeof events>

/** What the page shows the tests. */
export interface HeraldTest {
  start(options: { strict: boolean; widgets: Widget[]; hydrate?: boolean }): void
  show(widgets: Widget[]): void
  label(label: string): void
  unmount(): void
  /** Listeners and hooks added on the client so far, and those still held. */
  counts(): { added: number; held: number }
  /** Errors React reported while hydrating. */
  readonly hydrationErrors: string[]
  /** `React.version` of the page. */
  readonly react: string
}

declare global {
  interface Window {
    heraldTest: HeraldTest
  }
}

const counts = { added: 0, held: 0 }
const hydrationErrors: string[] = []

function counted(off: () => void): () => void {
  counts.added++
  counts.held++
  let done = false
  return () => {
    if (!done) counts.held--
    done = true
    off()
  }
}

function countedClient(client: Client): Client {
  return {
    events: client.events,
    url: client.url,
    get state() {
      return client.state
    },
    get lastEventId() {
      return client.lastEventId
    },
    get topics() {
      return client.topics
    },
    subscribe: (topic) => client.subscribe(topic),
    unsubscribe: (topic) => client.unsubscribe(topic),
    on: (name, listener) => counted(client.on(name, listener)),
    once: (name, listener) => counted(client.once(name, listener)),
    off: () => {
      throw new Error('the hooks remove listeners with the function `on` returns')
    },
    stream: (name, options) => client.stream(name, options),
    onOpen: (hook) => counted(client.onOpen(hook)),
    onError: (hook) => counted(client.onError(hook)),
    onState: (hook) => counted(client.onState(hook)),
    close: () => client.close(),
  }
}

let root: Root | undefined
let client: Client | null = null
let strict = false
let widgets: Widget[] = []
let label = 'a'

function render() {
  const view = <View client={client} widgets={widgets} label={label} />
  root?.render(strict ? <StrictMode>{view}</StrictMode> : view)
}

window.heraldTest = {
  start(options) {
    strict = options.strict
    widgets = options.widgets
    client = countedClient(createClient(events, new URL('/events', location.href)))
    const container = document.getElementById('root') as HTMLElement
    if (options.hydrate === true) {
      const view = <View client={client} widgets={widgets} label={label} />
      root = hydrateRoot(container, strict ? <StrictMode>{view}</StrictMode> : view, {
        onRecoverableError: (error) => hydrationErrors.push(String(error)),
      })
    } else {
      root = createRoot(container)
      render()
    }
  },
  show(next) {
    widgets = next
    render()
  },
  label(next) {
    label = next
    render()
  },
  unmount() {
    root?.unmount()
    root = undefined
  },
  counts: () => ({ ...counts }),
  hydrationErrors,
  react: version,
}
