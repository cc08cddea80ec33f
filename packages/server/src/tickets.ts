import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto'
import { HeraldError, MAX_TOPIC_LENGTH } from '@herald/schema'
import { describe, functionOption, wholeNumberOption } from './options.ts'

// A ticket is `<payload>.<signature>`, both base64url: the payload is the JSON array
// `[1, user, topics, expiresAt, nonce]` and the signature is HMAC-SHA256 over a fixed prefix plus
// the payload *text*. Signing the text (not the decoded bytes) and comparing the signature as
// text means there is exactly one accepted spelling of each ticket: base64url's ignored low bits
// cannot mint look-alikes. Nothing from the client reaches JSON.parse before the signature matches.

/** The longest ticket `verify` reads and `issue` writes, in characters; it fits in any URL. */
export const MAX_TICKET_LENGTH = 4096

/** The longest `user` a ticket carries, in characters. */
export const MAX_TICKET_USER_LENGTH = 256

/** The most topics one ticket carries. */
export const MAX_TICKET_TOPICS = 100

/** The fewest bytes a ticket secret may have. */
export const MIN_SECRET_BYTES = 32

const VERSION = 1
const DOMAIN = 'herald-ticket-v1.'
const SIGNATURE_LENGTH = 43 // base64url of 32 bytes, unpadded
const BASE64URL = /^[A-Za-z0-9_-]+$/
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is refused
const UNSAFE_TEXT = /[\u0000-\u001f\u007f]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/

/** What a valid ticket grants: who it was issued to, the topics it may join, and when it expires. */
export interface TicketClaims {
  /** The user the ticket was issued to. */
  readonly user: string
  /** The topics a stream opened with this ticket may join; nothing else. */
  readonly topics: readonly string[]
  /** When the ticket stops being accepted, in ms since the epoch of the issuing clock. */
  readonly expiresAt: number
}

/** Options of `createTickets`. */
export interface TicketsOptions {
  /** The HMAC key, at least 32 bytes (e.g. `openssl rand -base64 32`); every verifying instance needs the same. */
  secret: string | Uint8Array
  /** How long a ticket is accepted after it is issued. @default 30000 */
  ttlMs?: number | undefined
  /** The clock, in ms since the epoch. @default Date.now */
  now?: (() => number) | undefined
  /**
   * Clock skew tolerated between the instance that issues and the one that verifies: a ticket is
   * accepted until `expiresAt + leewayMs`, and refused when it expires more than `ttlMs + leewayMs`
   * ahead (issued by a clock running fast). Leave 0 when one process issues and verifies.
   * @default 0
   */
  leewayMs?: number | undefined
  /**
   * The most used nonces remembered at once. Past it the oldest is forgotten and every ticket that
   * expires no later than it is refused from then on, so a replay is never accepted.
   * @default 100000
   */
  maxOutstanding?: number | undefined
}

/** Issues and verifies signed, short-lived, single-use stream tickets. */
export interface Tickets {
  /** Signs a ticket for `user` and `topics` (deduplicated, order kept); throws `INVALID_OPTIONS` on bad input. */
  issue(claims: { user: string; topics: readonly string[] }): string
  /** Returns the claims of a valid, unexpired, unused ticket and marks it used; else throws `TICKET_REFUSED`. */
  verify(ticket: unknown): TicketClaims
  /** How many used nonces are remembered; expired ones are forgotten at the next `verify`. At most `maxOutstanding`. */
  readonly outstanding: number
}

/** Creates the ticket issuer and verifier; see `TicketsOptions`. */
export function createTickets(options: TicketsOptions): Tickets {
  if (typeof options !== 'object' || options === null) {
    throw new HeraldError('INVALID_OPTIONS', `createTickets() expects an options object, received ${describe(options)}`)
  }
  const key = secretBytes(options.secret)
  const ttlMs = wholeNumberOption('ttlMs', options.ttlMs, 30_000, Number.MAX_SAFE_INTEGER, 1)
  const leewayMs = wholeNumberOption('leewayMs', options.leewayMs, 0)
  const maxOutstanding = wholeNumberOption('maxOutstanding', options.maxOutstanding, 100_000, 2 ** 30, 1)
  functionOption('now', options.now)
  const now = options.now ?? Date.now

  // The used nonces, and a queue of them in the order they were used. Tickets share one ttl, so
  // that is nearly expiry order: forgetting from the front costs O(1) per nonce. (Not a Map in
  // insertion order: V8 leaves deleted slots at its front, and each scan from there walks them.)
  const used = new Set<string>()
  let queue: { nonce: string; expiresAt: number }[] = []
  let head = 0
  // Tickets expiring at or before this are refused: they may be replays of forgotten nonces.
  // Normally only expired tickets are that old; it matters past maxOutstanding or if the clock steps back.
  let floor = Number.NEGATIVE_INFINITY

  const forgetOldest = (): void => {
    const oldest = queue[head++] as { nonce: string; expiresAt: number }
    used.delete(oldest.nonce)
    floor = Math.max(floor, oldest.expiresAt)
    if (head >= 1024 && head * 2 >= queue.length) {
      queue = queue.slice(head)
      head = 0
    }
  }

  const sign = (payload: string): string => createHmac('sha256', key).update(DOMAIN).update(payload).digest('base64url')

  const sweep = (at: number): void => {
    // Written so that a NaN clock forgets nothing.
    while (used.size > 0 && at >= (queue[head] as { expiresAt: number }).expiresAt + leewayMs) forgetOldest()
  }

  return {
    issue(claims) {
      const { user, topics } = issueInput(claims)
      const issuedAt = now()
      const expiresAt = Math.floor(issuedAt) + ttlMs
      if (!Number.isSafeInteger(expiresAt)) {
        throw new HeraldError(
          'INVALID_OPTIONS',
          `option 'now' must return milliseconds, received ${describe(issuedAt)}`,
        )
      }
      const nonce = randomBytes(16).toString('base64url')
      const payload = Buffer.from(JSON.stringify([VERSION, user, topics, expiresAt, nonce])).toString('base64url')
      const ticket = `${payload}.${sign(payload)}`
      if (ticket.length > MAX_TICKET_LENGTH) {
        throw new HeraldError(
          'INVALID_OPTIONS',
          `ticket would be ${ticket.length} characters, over ${MAX_TICKET_LENGTH}: issue it for fewer or shorter topics`,
        )
      }
      return ticket
    },

    verify(ticket) {
      if (typeof ticket !== 'string') refuse(`malformed (expected a string, received ${typeof ticket})`)
      if (ticket.length > MAX_TICKET_LENGTH) refuse(`malformed (longer than ${MAX_TICKET_LENGTH} characters)`)
      const dot = ticket.indexOf('.')
      const payload = ticket.slice(0, dot)
      const signature = ticket.slice(dot + 1)
      if (dot <= 0 || signature.length !== SIGNATURE_LENGTH || !BASE64URL.test(payload) || !BASE64URL.test(signature)) {
        refuse('malformed')
      }
      if (!timingSafeEqual(Buffer.from(signature), Buffer.from(sign(payload)))) refuse('bad signature')
      const { nonce, ...claims } = readPayload(payload)

      const at = now()
      sweep(at)
      // Written so that a NaN clock refuses instead of accepting.
      if (!(at < claims.expiresAt + leewayMs)) refuse('expired')
      if (!(claims.expiresAt - at <= ttlMs + leewayMs))
        refuse('expires too far ahead (issuer clock skew or ttl mismatch)')
      if (claims.expiresAt <= floor) refuse('possibly used already (maxOutstanding reached or the clock went back)')
      if (used.has(nonce)) refuse('already used')

      // Fail safe, not open: forget the oldest nonce and refuse everything expiring no later.
      if (used.size >= maxOutstanding) forgetOldest()
      used.add(nonce)
      queue.push({ nonce, expiresAt: claims.expiresAt })
      return Object.freeze(claims)
    },

    get outstanding() {
      return used.size
    },
  }
}

/** Throws `TICKET_REFUSED` with the reason; never quotes the ticket. */
function refuse(reason: string): never {
  throw new HeraldError('TICKET_REFUSED', `ticket refused: ${reason}`)
}

/** The secret as its own copy of bytes; throws `INVALID_OPTIONS` unless it has at least 32. */
function secretBytes(secret: unknown): Buffer {
  let bytes: Buffer | undefined
  if (typeof secret === 'string') bytes = Buffer.from(secret, 'utf8')
  else if (secret instanceof Uint8Array) bytes = Buffer.from(secret)
  if (bytes === undefined || bytes.length < MIN_SECRET_BYTES) {
    const got = bytes === undefined ? (secret === undefined ? 'none' : typeof secret) : `${bytes.length} bytes`
    throw new HeraldError(
      'INVALID_OPTIONS',
      `option 'secret' must be a string or Uint8Array of at least ${MIN_SECRET_BYTES} bytes, received ${got}`,
    )
  }
  return bytes
}

/** Checks `issue()`'s argument; returns the user and the deduplicated topics. */
function issueInput(claims: unknown): { user: string; topics: string[] } {
  const bad = (message: string, topic?: string): never => {
    throw new HeraldError('INVALID_OPTIONS', `issue(): ${message}`, topic === undefined ? {} : { topic })
  }
  if (typeof claims !== 'object' || claims === null)
    return bad(`expected { user, topics }, received ${describe(claims)}`)
  const { user, topics } = claims as Record<string, unknown>
  if (typeof user !== 'string' || user.length === 0 || user.length > MAX_TICKET_USER_LENGTH) {
    return bad(`'user' must be a string of 1 to ${MAX_TICKET_USER_LENGTH} characters, received ${describe(user)}`)
  }
  if (UNSAFE_TEXT.test(user)) return bad(`'user' contains a control character or a lone surrogate`)
  if (!Array.isArray(topics)) return bad(`'topics' must be an array of strings, received ${describe(topics)}`)
  if (topics.length > MAX_TICKET_TOPICS) return bad(`'topics' has ${topics.length} entries, over ${MAX_TICKET_TOPICS}`)
  for (const topic of topics) {
    if (typeof topic !== 'string' || topic.length === 0 || topic.length > MAX_TOPIC_LENGTH) {
      bad(`each topic must be a string of 1 to ${MAX_TOPIC_LENGTH} characters, received ${describe(topic)}`)
    } else if (UNSAFE_TEXT.test(topic)) {
      bad(`topic contains a control character or a lone surrogate`, topic.slice(0, 40))
    }
  }
  return { user, topics: [...new Set<string>(topics)] }
}

/** Decodes a payload whose signature matched; any surprise is `malformed`, never another error. */
function readPayload(payload: string): TicketClaims & { nonce: string } {
  let value: unknown
  try {
    value = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'))
  } catch {
    refuse('malformed')
  }
  // An array, read by index into a fresh object: no key of the input ever becomes a property name.
  if (!Array.isArray(value) || value.length !== 5) refuse('malformed')
  const [version, user, topics, expiresAt, nonce] = value as unknown[]
  if (
    version !== VERSION ||
    typeof user !== 'string' ||
    !Array.isArray(topics) ||
    !topics.every((topic) => typeof topic === 'string') ||
    typeof expiresAt !== 'number' ||
    !Number.isSafeInteger(expiresAt) ||
    typeof nonce !== 'string'
  ) {
    refuse('malformed')
  }
  return { user, topics: Object.freeze([...(topics as string[])]), expiresAt, nonce }
}
