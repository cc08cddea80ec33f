// The topic benchmark at smoke size, end to end: a real Herald server process and a real load
// generator, every case once. It checks correctness only: every connection got exactly the events
// of its topic (or every broadcast), once and in order, and none of another topic's. No timing.
import { afterAll, expect, it } from 'vitest'
import { killAll } from './processes.ts'
import { topicCases } from './topic-scenarios.ts'
import { runTopicsBench } from './topics-bench.ts'

afterAll(killAll)

it('every connection receives exactly the events of its topics, and every broadcast', { timeout: 60_000 }, async () => {
  // The cases; the diagnostics add nothing to correctness and would double the time.
  const core = ['baseline', 'broadcast-rooms', 'targeted-many', 'targeted-few']
  const cases = topicCases('smoke').filter((topicCase) => core.includes(topicCase.id))
  const results = await runTopicsBench({ cases, rounds: 1, batch: 1, source: true, log: () => {} })

  const seen = results.runs.map((run) => ({
    case: run.case,
    error: run.error,
    delivered: run.load?.delivered,
    integrity: run.integrity,
  }))
  expect(seen).toEqual(
    cases.map((topicCase) => ({
      case: topicCase.id,
      error: undefined,
      // A broadcast reaches every connection; a targeted event the one connection of its topic.
      delivered: topicCase.mode === 'broadcast' ? topicCase.clients * topicCase.events : topicCase.events,
      integrity: {
        connections: topicCase.clients,
        exact: topicCase.clients,
        lost: 0,
        duplicated: 0,
        reordered: 0,
        unexpected: 0,
        foreign: 0,
        closed: 0,
        badStatus: 0,
      },
    })),
  )
})
