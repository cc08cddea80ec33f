// The page of the shared-client browser test, bundled by esbuild: a shared client asking for the
// topics in the page's query (`?topic=room:1&topic=room:2`), recording every event it receives.
import { createSharedClient } from './shared-client.ts'
import { sharedEvents } from './test-shared-events.ts'

const query = new URLSearchParams(location.search)
const topics = query.getAll('topic') as `room:${number}`[]
// `last`: a tab that resumes from an older id, as a reloaded page that kept its position would.
const client = createSharedClient(sharedEvents, '/events', {
  topics,
  name: 'herald-test',
  lastEventId: query.get('last') ?? undefined,
  // `timeout`: how long the other tabs wait for a silent leader before stealing the lock.
  leaderTimeoutMs: query.has('timeout') ? Number(query.get('timeout')) : undefined,
})
const received: number[] = []
const errors: string[] = []
client.on('n', ({ seq }) => received.push(seq))
client.onError((error) => errors.push(`${error.code}: ${error.message}`))

declare global {
  interface Window {
    shared: {
      received: number[]
      errors: string[]
      state(): string
      leader(): boolean
      topics(): readonly string[]
      subscribe(topic: `room:${number}`): void
    }
  }
}
window.shared = {
  received,
  errors,
  state: () => client.state,
  leader: () => client.leader,
  topics: () => client.topics,
  subscribe: (topic) => client.subscribe(topic),
}
