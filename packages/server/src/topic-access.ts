// Which topics a stream joins: those the server joins it to, and those its client asks for that
// the server allows, each allowed by `authorize` (and by the stream's ticket, when it has one).
import { type AnyEvents, HeraldError, type Topic, topicProblem } from '@herald/schema'
import type { StreamTopics } from './types.ts'

/** How a stream's topics are decided, given the request's context (Koa's `ctx`, or your own). */
export interface TopicAccess<TEvents extends AnyEvents, TContext> {
  /**
   * The topics the server joins the stream to, whatever the client asks: the user's own feed, say.
   * Trusted: not passed to `authorize`. May be async.
   */
  topics?: ((context: TContext) => Iterable<Topic<TEvents>> | Promise<Iterable<Topic<TEvents>>>) | undefined
  /**
   * Whether the stream may join `topic`, one its client asked for (`?topic=`). Without it, every
   * topic a client asks for is refused: a client reads only what the server allows. May be async;
   * one that throws refuses the topic.
   */
  authorize?: ((context: TContext, topic: Topic<TEvents>) => boolean | Promise<boolean>) | undefined
  /** The most topics a client may ask for on one stream; the rest are refused (`limit`). @default 100 */
  maxTopics?: number | undefined
}

/** What a stream request asked for, and what else bounds it. */
export interface TopicRequest {
  /** The `topic` query parameters, as sent. */
  readonly requested: readonly string[]
  /** The only topics the client may join, when a ticket says so. */
  readonly allowed?: ReadonlySet<string> | undefined
  /** Told of an `authorize` that threw (the topic is refused). */
  readonly onError?: ((error: unknown) => void) | undefined
}

/** The `topic` query parameters of a request target; never throws, whatever the target. */
export function requestedTopics(url: string | undefined): string[] {
  const query = url?.indexOf('?') ?? -1
  if (query === -1 || !url?.includes('topic=')) return []
  return new URLSearchParams((url as string).slice(query + 1)).getAll('topic')
}

/** Whether a request target asks for `topic:` lines in its events' blocks (`?topicLines=1`). */
export function asksTopicLines(url: string | undefined): boolean {
  const query = url?.indexOf('?') ?? -1
  if (query === -1 || !url?.includes('topicLines=')) return false
  return new URLSearchParams((url as string).slice(query + 1)).get('topicLines') === '1'
}

/**
 * Decides a stream's topics. Throws `INVALID_TOPIC` when `access.topics` returns a topic the
 * contract does not declare (a bug in the server, not the client's doing).
 */
export async function resolveTopics<TEvents extends AnyEvents, TContext>(
  events: TEvents,
  context: TContext,
  access: TopicAccess<TEvents, TContext>,
  request: TopicRequest,
): Promise<StreamTopics> {
  const joined = new Set<string>(access.topics === undefined ? [] : await access.topics(context))
  for (const topic of joined) {
    const problem = topicProblem(events, topic)
    if (problem !== undefined) {
      throw new HeraldError(
        'INVALID_TOPIC',
        `topic '${String(topic).slice(0, 40)}' ${problem} (from the topics option)`,
        {
          topic: String(topic),
        },
      )
    }
  }
  const maxTopics = access.maxTopics ?? 100
  const asked = [...new Set(request.requested)].filter((topic) => !joined.has(topic))
  const refused: { topic: string; reason: 'forbidden' | 'invalid' | 'limit' }[] = []
  const decisions = asked.map(async (topic, index): Promise<boolean> => {
    if (index >= maxTopics) return refuse(topic, 'limit')
    if (topicProblem(events, topic) !== undefined) return refuse(topic, 'invalid')
    if (request.allowed !== undefined && !request.allowed.has(topic)) return refuse(topic, 'forbidden')
    if (access.authorize === undefined) return refuse(topic, 'forbidden')
    try {
      if ((await access.authorize(context, topic as Topic<TEvents>)) === true) return true
    } catch (error) {
      request.onError?.(error)
    }
    return refuse(topic, 'forbidden')
  })
  const allowed = await Promise.all(decisions)
  return { topics: [...joined, ...asked.filter((_, index) => allowed[index])], refused }

  function refuse(topic: string, reason: 'forbidden' | 'invalid' | 'limit'): false {
    // A topic too long for the protocol's messages is shown cut: the client sent it, it knows it.
    refused.push({ topic: topic.slice(0, 256), reason })
    return false
  }
}
