import { CONTROL_MESSAGES } from './asyncapi-control.ts'
import { HeraldError } from './errors.ts'
import { CONTROL_NAMES } from './protocol.ts'
import { MAX_TOPIC_LENGTH } from './topic.ts'
import type { AnyEvents, AnyTopicMap } from './types.ts'
import {
  asText,
  canonical,
  type JsonSchema,
  type JsonValue,
  jsonSchemaOf,
  renameRefs,
  wireSchemaOf,
} from './wire-schema.ts'

// An AsyncAPI 3.0.0 document for a contract: one HTTP server, one channel (the stream's path), one
// message per event (its payload as it travels, see wire-schema.ts) and per control event, and
// the one operation a client performs: receive. AsyncAPI has no SSE binding; the stream's query
// parameters (topics, lastEventId) go in the HTTP operation binding's `query` schema, because a
// channel's `parameters` only fill `{name}` expressions in its address and take no schema.

/** Options of `toAsyncAPI`. */
export interface AsyncAPIOptions {
  /** The API's title (`info.title`). */
  title: string
  /** Your API's version (`info.version`), not AsyncAPI's. */
  version: string
  /** A longer description of the API (`info.description`); CommonMark is allowed. */
  description?: string | undefined
  /** The server's host, with its port when it is not the default: `app.example.com`, `localhost:3000`. */
  host: string
  /** @default 'http' */
  protocol?: 'http' | 'https' | undefined
  /** The path the server's routes are under, if any: `/api`. */
  pathname?: string | undefined
  /** The stream's path: the channel's address. @default '/events' */
  path?: string | undefined
  /** Whether the stream takes a `ticket` query parameter (the server's `createTickets`). @default false */
  tickets?: boolean | undefined
}

/** An AsyncAPI 3.0.0 document, as JSON: keys sorted, so it can be committed and diffed. */
export type AsyncAPIDocument = { readonly asyncapi: '3.0.0' } & { readonly [key: string]: JsonValue }

const CHANNEL = 'stream'
const OPERATION = 'receiveEvents'
const SERVER = 'server'

/**
 * An AsyncAPI 3.0.0 document describing `events`' stream: each event a message named after it,
 * its payload the JSON Schema of its `data:` field as it travels (`wireSchemaOf`), `text()` events
 * as `text/plain`; Herald's control events (`herald:hello`…) as messages too; the `topic`,
 * `lastEventId` (and `ticket`) query parameters. The same contract and options always give the
 * same document, whatever the key order of the map. Throws `INVALID_OPTIONS` on bad options.
 */
export function toAsyncAPI(events: AnyEvents, options: AsyncAPIOptions): AsyncAPIDocument {
  const { title, version, description, host, protocol = 'http', pathname, path = '/events', tickets } = checked(options)
  const keys = messageKeys([...events.names, ...CONTROL_NAMES])
  const messages: Record<string, JsonValue> = {}
  const schemas: Record<string, JsonValue> = {}
  const taken = new Set(keys.values())
  for (const name of [...events.names].sort()) {
    const spec = events.specs.get(name)
    const key = keys.get(name) as string
    const wire = wireSchemaOf(events, name)
    const note = typeof wire['description'] === 'string' ? { description: wire['description'] } : {}
    Object.assign(schemas, hoisted(key, wire, taken))
    messages[key] = {
      name,
      ...note,
      contentType: spec?.format === 'text' ? 'text/plain' : 'application/json',
      payload: { $ref: `#/components/schemas/${key}` },
    }
  }
  for (const name of CONTROL_NAMES) {
    const key = keys.get(name) as string
    const { summary, contentType, payload } = CONTROL_MESSAGES[name]
    schemas[key] = payload
    messages[key] = { name, summary, contentType, payload: { $ref: `#/components/schemas/${key}` } }
  }
  const sorted = [...keys.values()].sort()
  const kinds = Object.keys(events.topics).sort()
  const topicSchemas = Object.fromEntries(
    kinds.map((kind) => [kind, asText(jsonSchemaOf(events.topics[kind] as AnyTopicMap[string]))]),
  )
  const document = {
    asyncapi: '3.0.0',
    info: { title, version, ...(description === undefined ? {} : { description }) },
    defaultContentType: 'application/json',
    servers: { [SERVER]: { host, protocol, ...(pathname === undefined ? {} : { pathname }) } },
    channels: {
      [CHANNEL]: {
        address: path,
        title: 'Event stream',
        description: channelDescription(path, kinds),
        messages: Object.fromEntries(sorted.map((key) => [key, { $ref: `#/components/messages/${key}` }])),
        ...(kinds.length === 0 ? {} : { 'x-herald-topics': topicSchemas }),
      },
    },
    operations: {
      [OPERATION]: {
        action: 'receive',
        channel: { $ref: `#/channels/${CHANNEL}` },
        summary: `GET ${path} with Accept: text/event-stream, and read its events.`,
        messages: sorted.map((key) => ({ $ref: `#/channels/${CHANNEL}/messages/${key}` })),
        bindings: { http: { method: 'GET', query: query(topicSchemas, tickets === true), bindingVersion: '0.3.0' } },
      },
    },
    components: { messages, schemas },
  }
  return canonical(document) as AsyncAPIDocument
}

function channelDescription(path: string, kinds: readonly string[]): string {
  const lines = [
    `A server-sent events stream (text/event-stream) at ${path}. Each event is one SSE block: its`,
    '`event:` field is the message name, its `data:` field the payload, its `id:` the position to resume from.',
    'Resume with the Last-Event-ID header (or the `lastEventId` query parameter), as docs/protocol.md says.',
  ]
  if (kinds.length > 0) {
    const list = kinds.map((kind) => `\`${kind}:<parameter>\``).join(', ')
    lines.push(
      `Topics: ${list}, one \`topic\` query parameter each; \`x-herald-topics\` holds each parameter's schema.`,
    )
  }
  return lines.join('\n')
}

/** The stream's query parameters, as the HTTP operation binding's `query` schema. */
function query(topicSchemas: Record<string, JsonSchema>, tickets: boolean): JsonSchema {
  const properties: Record<string, JsonSchema> = {
    lastEventId: {
      type: 'string',
      description: 'The id of the last event received, to resume after it; the Last-Event-ID header wins.',
    },
  }
  const kinds = Object.keys(topicSchemas)
  if (kinds.length > 0) {
    const one = kinds.map((kind) => topicItem(kind, topicSchemas[kind] as JsonSchema))
    properties['topic'] = {
      type: 'array',
      description: 'A topic to join (`kind:parameter`), one query parameter each.',
      items: { ...(one.length === 1 ? one[0] : { anyOf: one }), maxLength: MAX_TOPIC_LENGTH },
    }
  }
  if (tickets) properties['ticket'] = { type: 'string', description: 'A signed stream ticket from the server.' }
  return { type: 'object', properties }
}

/** The schema of one topic of `kind`: an enum when its parameter's text is one, else the prefix. */
function topicItem(kind: string, parameter: JsonSchema): JsonSchema {
  const values = parameter['const'] !== undefined ? [parameter['const']] : parameter['enum']
  if (Array.isArray(values)) return { type: 'string', enum: values.map((value) => `${kind}:${String(value)}`) }
  return { type: 'string', pattern: `^${kind.replace(/[.]/g, '\\.')}:` }
}

/**
 * `wire` as component schemas: under `key` itself, with its definitions beside it as
 * `key.name` (numbered when `taken` holds that already), every `$ref` rewritten to point there:
 * a `$ref` in an AsyncAPI document is read from the document's root.
 */
function hoisted(key: string, wire: JsonSchema, taken: Set<string>): Record<string, JsonValue> {
  const { definitions, ...root } = wire
  const names = Object.keys((definitions ?? {}) as object).sort()
  const safe = new Map(names.map((name) => [name, unique(`${key}.${name.replace(/[^\w.-]/g, '_')}`, taken)]))
  const rename = (ref: string): string => {
    if (ref === '#') return `#/components/schemas/${key}`
    const name = ref.startsWith('#/definitions/') ? ref.slice('#/definitions/'.length) : undefined
    const target = name === undefined ? undefined : safe.get(name)
    return target === undefined ? ref : `#/components/schemas/${target}`
  }
  const out: Record<string, JsonValue> = { [key]: renameRefs(root, rename) as JsonValue }
  for (const name of names)
    out[safe.get(name) as string] = renameRefs((definitions as JsonSchema)[name], rename) as JsonValue
  return out
}

/** `base`, or `base_2`, `base_3`… the first that `taken` does not hold; taken from then on. */
function unique(base: string, taken: Set<string>): string {
  let key = base
  for (let n = 2; taken.has(key); n++) key = `${base}_${n}`
  taken.add(key)
  return key
}

/**
 * A key for each message and schema, as AsyncAPI's component keys allow (letters, digits, `.`, `-`,
 * `_`): a name that is one already keeps it, others get one with `_` for each other character,
 * numbered on a clash. Decided in name order, so the map's key order never changes a key.
 */
function messageKeys(names: readonly string[]): Map<string, string> {
  const ordered = [...names].sort()
  const safe = (name: string) => /^[\w.-]+$/.test(name)
  const keys = new Map<string, string>()
  const taken = new Set<string>()
  for (const name of ordered.filter(safe)) {
    keys.set(name, name)
    taken.add(name)
  }
  for (const name of ordered.filter((each) => !safe(each))) keys.set(name, unique(name.replace(/[^\w.-]/g, '_'), taken))
  return keys
}

function checked(options: AsyncAPIOptions): AsyncAPIOptions {
  if (typeof options !== 'object' || options === null) {
    throw new HeraldError('INVALID_OPTIONS', 'toAsyncAPI() expects an options object')
  }
  for (const field of ['title', 'version', 'host'] as const) {
    if (typeof options[field] !== 'string' || options[field] === '') {
      throw new HeraldError('INVALID_OPTIONS', `toAsyncAPI() option '${field}' must be a non-empty string`)
    }
  }
  for (const field of ['path', 'pathname'] as const) {
    const value = options[field]
    if (value !== undefined && (typeof value !== 'string' || !value.startsWith('/'))) {
      throw new HeraldError('INVALID_OPTIONS', `toAsyncAPI() option '${field}' must start with '/'`)
    }
  }
  if (options.protocol !== undefined && options.protocol !== 'http' && options.protocol !== 'https') {
    throw new HeraldError('INVALID_OPTIONS', "toAsyncAPI() option 'protocol' must be 'http' or 'https'")
  }
  return options
}
