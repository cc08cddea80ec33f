// The page of the shared-client browser test, bundled by esbuild: a shared client asking for the
// topics in the page's query (`?topic=room:1&topic=room:2`), recording every event it receives.
// With `?ticket`, it fetches a ticket from `POST /tickets` naming the topics it is given.
import { createSharedClient } from './shared-client.ts'
import { sharedEvents } from './test-shared-events.ts'

const query = new URLSearchParams(location.search)
const topics = query.getAll('topic') as `room:${number}`[]
/** The topics this tab's ticket function was called with, each call. */
const ticketTopics: string[][] = []
const ticket = async (asked: readonly string[]) => {
  ticketTopics.push([...asked])
  const response = await fetch(`/tickets?${new URLSearchParams(asked.map((topic) => ['topic', topic]))}`, {
    method: 'POST',
  })
  return ((await response.json()) as { ticket: string }).ticket
}
// `last`: a tab that resumes from an older id, as a reloaded page that kept its position would.
const client = createSharedClient(sharedEvents, '/events', {
  topics,
  name: 'herald-test',
  lastEventId: query.get('last') ?? undefined,
  // `timeout`: how long the other tabs wait for a silent leader before stealing the lock.
  leaderTimeoutMs: query.has('timeout') ? Number(query.get('timeout')) : undefined,
  ticket: query.has('ticket') ? ticket : undefined,
})
const received: number[] = []
const errors: string[] = []
client.on('n', ({ seq }) => received.push(seq))
client.onError((error) => errors.push(`${error.code}: ${error.message}`))
const states: string[] = [client.state]
client.onState((state) => states.push(state))

declare global {
  interface Window {
    shared: {
      received: number[]
      errors: string[]
      /** The topics of each call of this tab's ticket function. */
      tickets: string[][]
      /** Every state this tab's client went through, in order. */
      states: string[]
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
  tickets: ticketTopics,
  states,
  state: () => client.state,
  leader: () => client.leader,
  topics: () => client.topics,
  subscribe: (topic) => client.subscribe(topic),
}
