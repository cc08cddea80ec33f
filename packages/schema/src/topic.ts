import * as z4 from 'zod/v4/core'
import { describeIssues, HeraldError } from './errors.ts'
import type { AnyEvents, AnyTopicMap } from './types.ts'

/** The longest topic Herald accepts, in UTF-16 code units. */
export const MAX_TOPIC_LENGTH = 128

const KIND = /^[A-Za-z0-9_.-]{1,64}$/

/** Throws `INVALID_OPTIONS` unless `topics` is a record of topic kinds to zod schemas. */
export function checkTopicMap(topics: unknown): asserts topics is AnyTopicMap {
  if (typeof topics !== 'object' || topics === null || Array.isArray(topics)) {
    throw new HeraldError('INVALID_OPTIONS', "defineEvents() option 'topics' must be a record of zod schemas")
  }
  for (const [kind, schema] of Object.entries(topics)) {
    if (!KIND.test(kind)) {
      throw new HeraldError('INVALID_OPTIONS', `topic kind '${kind.slice(0, 40)}': use 1 to 64 of A-Z a-z 0-9 _ . -`)
    }
    if (typeof schema !== 'object' || schema === null || !('_zod' in schema)) {
      throw new HeraldError('INVALID_OPTIONS', `topic kind '${kind}': expected a zod schema for its parameter`)
    }
  }
}

/**
 * Why `topic` is not a topic of the contract, or `undefined` when it is. A topic is
 * `<kind>:<parameter>`: a kind the contract declares, and a parameter its schema accepts as written
 * (read as a number when the schema takes numbers), in its one canonical spelling, so `room:42` and
 * `room:042` can never be two names for one room.
 */
export function topicProblem(events: AnyEvents, topic: unknown): string | undefined {
  if (typeof topic !== 'string') return `must be a string, received ${typeof topic}`
  if (topic.length > MAX_TOPIC_LENGTH) return `is longer than ${MAX_TOPIC_LENGTH} characters`
  // With the `u` flag a surrogate pair is one code point: only a lone surrogate matches.
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is refused
  if (/[\u0000-\u001f\u007f\uD800-\uDFFF]/u.test(topic)) return 'contains a control character or a lone surrogate'
  const colon = topic.indexOf(':')
  const kind = colon === -1 ? topic : topic.slice(0, colon)
  // A contract made by an older defineEvents, or by hand, may have no topics record at all.
  const topics: AnyTopicMap = typeof events.topics === 'object' && events.topics !== null ? events.topics : {}
  const schema = Object.hasOwn(topics, kind) ? topics[kind] : undefined
  if (schema === undefined) {
    const kinds = Object.keys(topics)
    return kinds.length === 0
      ? 'is not declared: the contract has no topics'
      : `is not declared: topics are ${kinds.map((name) => `'${name}:…'`).join(', ')}`
  }
  if (colon === -1) return `has no parameter: write '${kind}:<parameter>'`
  const text = topic.slice(colon + 1)
  let result: ReturnType<typeof z4.safeParse>
  try {
    result = z4.safeParse(schema, text)
    if (!result.success && /^-?\d+(\.\d+)?$/.test(text)) result = z4.safeParse(schema, Number(text))
  } catch (error) {
    // A refinement that throws, or an async one, which a synchronous parse cannot run: refuse the
    // topic with a HeraldError rather than let the exception escape a request handler.
    return `has a parameter its schema rejects: ${error instanceof Error ? error.message : String(error)}`
  }
  if (!result.success) return `has a parameter its schema rejects: ${describeIssues(result.error.issues)}`
  if (String(result.data) !== text) return `is not written canonically: write '${kind}:${String(result.data)}'`
  return undefined
}

/** Throws `INVALID_TOPIC` unless `topic` is a topic of the contract (see `topicProblem`). */
export function assertTopic(events: AnyEvents, topic: unknown): asserts topic is string {
  const problem = topicProblem(events, topic)
  if (problem === undefined) return
  const shown = typeof topic === 'string' ? topic.slice(0, 40) : String(typeof topic)
  throw new HeraldError('INVALID_TOPIC', `topic '${shown}' ${problem}`, {
    topic: typeof topic === 'string' ? topic : undefined,
  })
}
