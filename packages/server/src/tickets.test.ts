import { createHmac } from 'node:crypto'
import { type HeraldError, isHeraldError } from '@herald/schema'
import { describe, expect, it } from 'vitest'
import { createTickets, MAX_TICKET_LENGTH, type TicketsOptions } from './tickets.ts'

const SECRET = 'test-secret-0123456789abcdefghijklmnopqrstuvwxyz'
const T0 = 1_700_000_000_000

/** A settable clock. */
function clock(start = T0) {
  const state = { now: start }
  return Object.assign(() => state.now, {
    set: (ms: number) => (state.now = ms),
    add: (ms: number) => (state.now += ms),
  })
}

function setup(options: Partial<TicketsOptions> = {}) {
  const now = clock()
  const tickets = createTickets({ secret: SECRET, ttlMs: 30_000, now, ...options })
  return { now, tickets }
}

/** The HeraldError `fn` throws; fails the test when it returns or throws anything else. */
function thrown(fn: () => unknown): HeraldError {
  try {
    fn()
  } catch (error) {
    expect(isHeraldError(error)).toBe(true)
    return error as HeraldError
  }
  throw new Error('expected a throw')
}

/** Expects `TICKET_REFUSED` whose message names `reason` and does not quote the ticket or the secret. */
function expectRefused(fn: () => unknown, reason: string | RegExp, ticket?: string): void {
  const error = thrown(fn)
  expect(error.code).toBe('TICKET_REFUSED')
  expect(error.message).toMatch(reason)
  expect(error.message).not.toContain(SECRET)
  if (ticket !== undefined && ticket.length > 8) expect(error.message).not.toContain(ticket.slice(0, 20))
}

/** Signs an arbitrary payload text the way a holder of the secret would. */
function forge(json: string, secret = SECRET): string {
  const payload = Buffer.from(json).toString('base64url')
  const signature = createHmac('sha256', secret).update('herald-ticket-v1.').update(payload).digest('base64url')
  return `${payload}.${signature}`
}

describe('tickets', () => {
  it('round-trips the claims in a compact, URL-safe ticket', () => {
    const { tickets } = setup()
    const ticket = tickets.issue({ user: 'u7', topics: ['room:1', 'user:7'] })
    expect(ticket).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$/)
    expect(encodeURIComponent(ticket)).toBe(ticket)
    expect(ticket.length).toBeLessThan(200)
    const claims = tickets.verify(ticket)
    expect(claims).toEqual({ user: 'u7', topics: ['room:1', 'user:7'], expiresAt: T0 + 30_000 })
    expect(Object.isFrozen(claims)).toBe(true)
    expect(Object.isFrozen(claims.topics)).toBe(true)
  })

  it('deduplicates topics, keeps their order, and allows none', () => {
    const { tickets } = setup()
    expect(tickets.verify(tickets.issue({ user: 'a', topics: ['b:1', 'a:1', 'b:1'] })).topics).toEqual(['b:1', 'a:1'])
    expect(tickets.verify(tickets.issue({ user: 'a', topics: [] })).topics).toEqual([])
  })

  it('expires at exactly ttlMs after issue', () => {
    const { now, tickets } = setup({ ttlMs: 5_000 })
    const early = tickets.issue({ user: 'u', topics: [] })
    const late = tickets.issue({ user: 'u', topics: [] })
    now.set(T0 + 4_999)
    expect(tickets.verify(early).expiresAt).toBe(T0 + 5_000)
    now.set(T0 + 5_000)
    expectRefused(() => tickets.verify(late), 'expired', late)
  })

  it('tolerates leewayMs of clock skew when the verifying clock runs ahead', () => {
    const issuer = setup()
    const ahead = clock(T0 + 30_999)
    const verifier = createTickets({ secret: SECRET, now: ahead, leewayMs: 1_000 })
    const strict = createTickets({ secret: SECRET, now: ahead })
    expect(verifier.verify(issuer.tickets.issue({ user: 'u', topics: [] })).user).toBe('u')
    expectRefused(() => strict.verify(issuer.tickets.issue({ user: 'u', topics: [] })), 'expired')
    ahead.set(T0 + 31_000)
    expectRefused(() => verifier.verify(issuer.tickets.issue({ user: 'u', topics: [] })), 'expired')
  })

  it('tolerates leewayMs of clock skew when the issuing clock runs ahead', () => {
    const issuer = setup()
    const behind = clock(T0 - 1_000)
    const verifier = createTickets({ secret: SECRET, now: behind, leewayMs: 1_000 })
    const strict = createTickets({ secret: SECRET, now: behind })
    expect(verifier.verify(issuer.tickets.issue({ user: 'u', topics: [] })).user).toBe('u')
    const early = issuer.tickets.issue({ user: 'u', topics: [] })
    expectRefused(() => strict.verify(early), 'too far ahead')
    behind.set(T0 - 1_001)
    expectRefused(() => verifier.verify(issuer.tickets.issue({ user: 'u', topics: [] })), 'too far ahead')
    behind.set(T0)
    expect(strict.verify(early).user).toBe('u')
  })

  it('refuses a ticket whose expiry lies beyond ttlMs, even when correctly signed', () => {
    const { tickets } = setup()
    expectRefused(() => tickets.verify(forge(JSON.stringify([1, 'u', [], T0 + 30_001, 'n']))), 'too far ahead')
    expect(tickets.verify(forge(JSON.stringify([1, 'u', [], T0 + 30_000, 'n']))).user).toBe('u')
  })

  it('refuses a ticket with any single character changed', () => {
    const { tickets } = setup()
    const ticket = tickets.issue({ user: 'u7', topics: ['room:1'] })
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.'
    for (let i = 0; i < ticket.length; i++) {
      for (const swap of [1, 17, 40]) {
        const char = alphabet[(alphabet.indexOf(ticket.charAt(i)) + swap) % alphabet.length] as string
        const tampered = ticket.slice(0, i) + char + ticket.slice(i + 1)
        expectRefused(() => tickets.verify(tampered), /malformed|bad signature/, tampered)
      }
    }
    expect(tickets.verify(ticket).user).toBe('u7')
  })

  it('refuses a ticket signed with another secret, or with claims swapped in', () => {
    const { tickets } = setup()
    const other = createTickets({ secret: `${SECRET}-other`, now: () => T0 })
    const foreign = other.issue({ user: 'u7', topics: ['room:1'] })
    expectRefused(() => tickets.verify(foreign), 'bad signature', foreign)

    const mine = tickets.issue({ user: 'u7', topics: ['room:1'] })
    const wider = tickets.issue({ user: 'u7', topics: ['room:1', 'room:2'] })
    const spliced = `${wider.split('.')[0]}.${mine.split('.')[1]}`
    expectRefused(() => tickets.verify(spliced), 'bad signature', spliced)
  })

  it('refuses truncated, garbage, huge and non-string input with TICKET_REFUSED only', () => {
    const { tickets } = setup()
    const ticket = tickets.issue({ user: 'u7', topics: ['room:1'] })
    for (let length = 0; length < ticket.length; length++) {
      expectRefused(() => tickets.verify(ticket.slice(0, length)), /malformed|bad signature/)
      expectRefused(() => tickets.verify(ticket.slice(ticket.length - length)), /malformed|bad signature/)
    }
    const garbage = ['', '.', '..', 'a.b', `.${'A'.repeat(43)}`, `a.${'A'.repeat(42)}=`, `${ticket}.`, `${ticket}x`]
    garbage.push(ticket.replace('.', '%2E'), `é${ticket}`, `${ticket} `, ` ${ticket}`, '\u0000', ticket.toUpperCase())
    for (const input of garbage) expectRefused(() => tickets.verify(input), /malformed|bad signature/, input)
    const huge = `${'A'.repeat(MAX_TICKET_LENGTH)}.${'A'.repeat(43)}`
    expectRefused(() => tickets.verify(huge), 'longer than 4096', huge)
    expectRefused(() => tickets.verify('A'.repeat(10_000_000)), 'longer than 4096')
    const values: unknown[] = [
      undefined,
      null,
      42,
      true,
      {},
      [ticket],
      Buffer.from(ticket),
      new String(ticket),
      Symbol(),
    ]
    for (const value of values) expectRefused(() => tickets.verify(value), 'malformed')
  })

  it('refuses a signed payload of the wrong shape without polluting prototypes', () => {
    const { tickets } = setup()
    const exp = T0 + 1_000
    const shapes = [
      'not json',
      '{"__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}}}',
      `[1,"u",[],${exp}]`,
      `[1,"u",[],${exp},"n","extra"]`,
      `[2,"u",[],${exp},"n"]`,
      `[1,7,[],${exp},"n"]`,
      `[1,"u","room:1",${exp},"n"]`,
      `[1,"u",[1],${exp},"n"]`,
      `[1,"u",[],"${exp}","n"]`,
      `[1,"u",[],${exp}.5,"n"]`,
      `[1,"u",[],1e400,"n"]`,
      `[1,"u",[],${exp},null]`,
      '[1,"u",{"__proto__":{"polluted":true}},1,"n"]',
    ]
    for (const json of shapes) expectRefused(() => tickets.verify(forge(json)), 'malformed')
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined()
    expect(Object.prototype).not.toHaveProperty('polluted')
  })

  it('refuses a ticket used a second time, also later and with no other tickets in between', () => {
    const { now, tickets } = setup()
    const ticket = tickets.issue({ user: 'u', topics: ['room:1'] })
    expect(tickets.verify(ticket).user).toBe('u')
    expectRefused(() => tickets.verify(ticket), 'already used', ticket)
    now.add(29_999)
    expectRefused(() => tickets.verify(ticket), 'already used', ticket)
    now.add(1)
    expectRefused(() => tickets.verify(ticket), 'expired', ticket)
  })

  it('forgets used nonces once they expire, so memory stays bounded', () => {
    const { now, tickets } = setup({ ttlMs: 5_000 })
    let most = 0
    let previous = ''
    for (let n = 0; n < 3_000; n++) {
      if (n % 500 === 499) expectRefused(() => tickets.verify(previous), 'already used')
      previous = tickets.issue({ user: `u${n}`, topics: [] })
      tickets.verify(previous)
      most = Math.max(most, tickets.outstanding)
      now.add(1_000)
    }
    expect(most).toBe(5)
    now.add(5_000)
    tickets.verify(tickets.issue({ user: 'last', topics: [] }))
    expect(tickets.outstanding).toBe(1)
  })

  it('past maxOutstanding forgets the oldest nonce but never accepts its replay', () => {
    const { now, tickets } = setup({ maxOutstanding: 3 })
    const issued: string[] = []
    for (let n = 0; n < 6; n++) {
      issued.push(tickets.issue({ user: `u${n}`, topics: [] }))
      now.add(1)
    }
    const [unusedOldest, ...rest] = issued as [string, ...string[]]
    for (const ticket of rest) expect(tickets.verify(ticket).user).toMatch(/^u\d$/)
    expect(tickets.outstanding).toBe(3)
    // rest[0] and rest[1] were forgotten: their replays, and any ticket expiring no later, are refused.
    expectRefused(() => tickets.verify(rest[0]), 'possibly used already')
    expectRefused(() => tickets.verify(rest[1]), 'possibly used already')
    expectRefused(() => tickets.verify(unusedOldest), 'possibly used already')
    for (const ticket of rest.slice(2)) expectRefused(() => tickets.verify(ticket), 'already used')
    // Newer tickets still work.
    expect(tickets.verify(tickets.issue({ user: 'new', topics: [] })).user).toBe('new')
    expect(tickets.outstanding).toBe(3)
  })

  it('refuses a replay of a forgotten nonce after the clock steps back', () => {
    const { now, tickets } = setup({ ttlMs: 5_000 })
    const ticket = tickets.issue({ user: 'u', topics: [] })
    tickets.verify(ticket)
    now.add(5_000)
    tickets.verify(tickets.issue({ user: 'later', topics: [] }))
    expect(tickets.outstanding).toBe(1)
    now.set(T0 + 1_000)
    expectRefused(() => tickets.verify(ticket), 'possibly used already', ticket)
  })

  it('remembers nonces per instance only', () => {
    const { tickets } = setup()
    const other = createTickets({ secret: SECRET, now: () => T0 })
    const ticket = tickets.issue({ user: 'u', topics: [] })
    tickets.verify(ticket)
    // Documented limitation: several instances need a shared nonce store or sticky routing.
    expect(other.verify(ticket).user).toBe('u')
  })

  it('refuses every ticket when the clock returns NaN', () => {
    const { now, tickets } = setup()
    const ticket = tickets.issue({ user: 'u', topics: [] })
    now.set(Number.NaN)
    expectRefused(() => tickets.verify(ticket), 'expired')
  })

  it('validates its options without echoing the secret', () => {
    const short = 'x'.repeat(31)
    const cases: unknown[] = [short, new Uint8Array(31), undefined, 42, ['x'.repeat(32)]]
    for (const secret of cases) {
      const error = thrown(() => createTickets({ secret } as TicketsOptions))
      expect(error.code).toBe('INVALID_OPTIONS')
      expect(error.message).toContain("option 'secret'")
      expect(error.message).not.toContain(short)
    }
    expect(thrown(() => createTickets({ secret: short })).message).toContain('31 bytes')
    expect(thrown(() => createTickets(undefined as unknown as TicketsOptions)).code).toBe('INVALID_OPTIONS')
    expect(() => createTickets({ secret: 'x'.repeat(32) })).not.toThrow()
    expect(() => createTickets({ secret: new Uint8Array(32) })).not.toThrow()
    const bad: Partial<TicketsOptions>[] = [
      { ttlMs: 0 },
      { ttlMs: -1 },
      { ttlMs: 1.5 },
      { ttlMs: Number.NaN },
      { leewayMs: -1 },
      { maxOutstanding: 0 },
      { now: 5 as unknown as () => number },
    ]
    for (const options of bad) {
      expect(thrown(() => createTickets({ secret: SECRET, ...options })).code).toBe('INVALID_OPTIONS')
    }
  })

  it('keeps its own copy of a byte secret', () => {
    const secret = new Uint8Array(32).fill(7)
    const tickets = createTickets({ secret })
    const ticket = tickets.issue({ user: 'u', topics: [] })
    secret.fill(0)
    expect(tickets.verify(ticket).user).toBe('u')
  })

  it('validates what it issues, naming the problem', () => {
    const { tickets } = setup()
    const problems: [unknown, string][] = [
      [undefined, 'expected { user, topics }'],
      [{ user: '', topics: [] }, "'user' must be a string of 1 to 256"],
      [{ user: 'x'.repeat(257), topics: [] }, "'user' must be a string of 1 to 256"],
      [{ user: 7, topics: [] }, "'user' must be a string"],
      [{ user: 'a\nb', topics: [] }, "'user' contains a control character"],
      [{ user: 'u', topics: 'room:1' }, "'topics' must be an array"],
      [{ user: 'u', topics: Array.from({ length: 101 }, (_, n) => `r:${n}`) }, "'topics' has 101 entries, over 100"],
      [{ user: 'u', topics: [1] }, 'each topic must be a string of 1 to 128'],
      [{ user: 'u', topics: [''] }, 'each topic must be a string of 1 to 128'],
      [{ user: 'u', topics: [`r:${'x'.repeat(127)}`] }, 'each topic must be a string of 1 to 128'],
      [{ user: 'u', topics: ['r:\u0000'] }, 'topic contains a control character'],
      [{ user: 'u', topics: ['r:\uD800'] }, 'topic contains a control character or a lone surrogate'],
      [{ user: 'u', topics: Array.from({ length: 40 }, (_, n) => `r:${n}`.padEnd(128, 'x')) }, 'over 4096'],
    ]
    for (const [claims, message] of problems) {
      const error = thrown(() => tickets.issue(claims as { user: string; topics: string[] }))
      expect(error.code).toBe('INVALID_OPTIONS')
      expect(error.message).toContain(message)
    }
    const most = Array.from({ length: 100 }, (_, n) => `room:${n}`)
    expect(tickets.verify(tickets.issue({ user: 'x'.repeat(256), topics: most })).topics).toHaveLength(100)
    expect(tickets.verify(tickets.issue({ user: 'émile 😀', topics: ['r:ü'] })).user).toBe('émile 😀')
  })
})
