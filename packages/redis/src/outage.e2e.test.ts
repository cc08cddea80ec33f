import { HeraldError, isHeraldError } from '@herald/schema'
import { afterEach, describe, expect, it } from 'vitest'
import {
  compareIds,
  type Emitted,
  type Instance,
  openRaw,
  owed,
  type Room,
  type SwitchProxy,
  seededRandom,
  startInstance,
  startInstanceProcess,
  startSwitchProxy,
  type Tracked,
  track,
  until,
  wait,
} from './test-scale-fixtures.ts'
import { startRedis } from './testing.ts'

// Outages end to end, with real processes: redis-server SIGKILLed mid-stream and restarted (with
// an fsynced append-only file, and without persistence), and a Herald instance SIGKILLed
// mid-stream. Clients sit behind TCP proxies, so a resume can be sent to another instance.

const cleanups: (() => unknown)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

const PUBLISH_TIMEOUT_MS = 400
/** What an emit's rejection may take beyond `publishTimeoutMs` on a loaded 2-core machine. */
const MARGIN_MS = 250
const ROOMS: readonly Room[] = ['room:1', 'room:2', 'room:3']

/** Clients spread over `ports`, each behind its own proxy, each in one or two rooms. */
async function spreadClients(count: number, ports: readonly number[], random: () => number) {
  const clients: { tracked: Tracked; proxy: SwitchProxy; on: number }[] = []
  for (let n = 0; n < count; n++) {
    const first = ROOMS[n % ROOMS.length] as Room
    const rooms = random() < 0.5 ? [first] : [first, ROOMS[(n + 1) % ROOMS.length] as Room]
    const on = n % ports.length
    const proxy = await startSwitchProxy(ports[on] as number)
    cleanups.push(() => proxy.close())
    const tracked = track(proxy.port, rooms)
    cleanups.push(() => tracked.client.close())
    clients.push({ tracked, proxy, on })
  }
  await until(
    () => clients.every(({ tracked }) => tracked.client.state === 'open' && tracked.client.topics.length > 0),
    () => 'clients not open',
  )
  return clients
}

/** One emit the test made, and how it ended. */
interface Attempt {
  readonly from: string
  readonly seq: number
  readonly rooms: readonly Room[]
  readonly startedAt: number
  settledAt?: number
  id?: string
  error?: unknown
}

/** Emits through `instances` in turn, recording each attempt and how it settled. */
function emitter(instances: readonly Instance[], random: () => number) {
  const attempts: Attempt[] = []
  let seq = 0
  const emit = (instance: Instance): Promise<Attempt> => {
    const roll = random()
    const rooms: Room[] = roll < 0.2 ? [] : [ROOMS[Math.floor(random() * ROOMS.length)] as Room]
    const attempt: Attempt = { from: instance.name, seq: seq++, rooms, startedAt: performance.now() }
    attempts.push(attempt)
    const payload = { from: instance.name, seq: attempt.seq }
    let published: Promise<string>
    try {
      published =
        rooms.length === 0 ? instance.channel.emit('n', payload) : instance.channel.to(rooms).emit('n', payload)
    } catch (error) {
      published = Promise.reject(error)
    }
    return published.then(
      (id) => Object.assign(attempt, { id, settledAt: performance.now() }),
      (error: unknown) => Object.assign(attempt, { error, settledAt: performance.now() }),
    )
  }
  /** Emits every `everyMs` from each instance in turn until the returned stop is awaited. */
  const steady = (everyMs: number) => {
    let stopped = false
    const inFlight: Promise<Attempt>[] = []
    const loop = (async () => {
      for (let turn = 0; !stopped; turn++) {
        inFlight.push(emit(instances[turn % instances.length] as Instance))
        await wait(everyMs)
      }
    })()
    return async () => {
      stopped = true
      await loop
      await Promise.all(inFlight)
    }
  }
  const acked = (): Emitted[] =>
    attempts.flatMap((a) => (a.id === undefined ? [] : [{ id: a.id, from: a.from, seq: a.seq, rooms: a.rooms }]))
  return { attempts, emit, steady, acked }
}

/** Points every client's proxy at another of `ports` and cuts it: each resumes elsewhere. */
function moveAll(clients: { proxy: SwitchProxy; on: number }[], ports: readonly number[]) {
  let cut = 0
  for (const client of clients) {
    client.on = (client.on + 1) % ports.length
    client.proxy.target = ports[client.on] as number
    cut += client.proxy.cut()
  }
  return cut
}

const key = (event: { from: string; seq: number }) => `${event.from}#${event.seq}`

/** Resolves once `instance` takes an emit again (Redis back, client reconnected). */
async function untilEmitsFlow(emit: (instance: Instance) => Promise<Attempt>, instance: Instance) {
  const started = performance.now()
  for (;;) {
    const attempt = await emit(instance)
    if (attempt.id !== undefined) return
    if (performance.now() - started > 10_000) throw new Error(`emits still fail: ${String(attempt.error)}`)
    await wait(50)
  }
}

describe.each([
  { persistence: true, seed: 101 },
  { persistence: false, seed: 202 },
])('redis-server SIGKILLed mid-stream and restarted (persistence: $persistence)', ({ persistence, seed }) => {
  it(persistence
    ? 'emits fail fast while it is down and are never delivered; streams stay up; nothing acknowledged is lost, resumed on any instance'
    : 'emits fail fast while it is down and are never delivered; streams stay up; a resume afterwards is a HISTORY_GAP', async () => {
    const random = seededRandom(seed)
    const redis = await startRedis({ persistence })
    cleanups.push(() => redis.stop())
    const a = await startInstance('a', redis.url, 'outage', { publishTimeoutMs: PUBLISH_TIMEOUT_MS, heartbeatMs: 100 })
    cleanups.push(() => a.close())
    const b = await startInstance('b', redis.url, 'outage', { publishTimeoutMs: PUBLISH_TIMEOUT_MS, heartbeatMs: 100 })
    cleanups.push(() => b.close())
    const ports = [a.port, b.port]
    const epoch = a.engine.epoch
    expect(b.engine.epoch).toBe(epoch)
    const clients = await spreadClients(8, ports, random)
    const raw = await openRaw(a.port, '?topic=room:1')
    cleanups.push(() => raw.close())
    expect(raw.refused).toBeUndefined()
    const { attempts, emit, steady, acked } = emitter([a, b], random)

    // Mid-stream: SIGKILL Redis while both instances emit every 10 ms.
    const stopBefore = steady(10)
    await wait(300)
    await redis.kill('SIGKILL')
    const killed = performance.now()
    await stopBefore()
    expect(acked().length).toBeGreaterThan(10)

    // While it is down: the engines say so, new streams are turned away busy, open ones get
    // heartbeats and stay up, and every emit rejects with ENGINE_UNAVAILABLE within the timeout.
    await until(
      () => a.engine.available === false && b.engine.available === false,
      () => `available: a ${a.engine.available}, b ${b.engine.available}`,
      3000,
    )
    expect(a.engine.health().state).toBe('down')
    const errorsBefore = clients.map(({ tracked }) => tracked.errors.length)
    const heartbeatsBefore = raw.text().split('event: herald:ping\n').length
    const refusedNew = await openRaw(b.port, '?topic=room:2')
    expect(refusedNew.refused).toBe('busy')
    await refusedNew.ended
    expect(refusedNew.text()).toContain('event: herald:busy\n')
    const during = await Promise.all(Array.from({ length: 12 }, (_, n) => emit(n % 2 === 0 ? a : b)))
    await wait(300)
    const late = await Promise.all([emit(a), emit(b)])
    const down = [...during, ...late]
    for (const attempt of down) {
      expect(isHeraldError(attempt.error) && attempt.error.code, String(attempt.error)).toBe('ENGINE_UNAVAILABLE')
      expect(attempt.error).toBeInstanceOf(HeraldError)
      expect((attempt.settledAt ?? Infinity) - attempt.startedAt).toBeLessThan(PUBLISH_TIMEOUT_MS + MARGIN_MS)
    }
    // Past every deadline before Redis returns: a queued emit would now reach it too late.
    await wait(PUBLISH_TIMEOUT_MS + 100)
    expect(raw.text().split('event: herald:ping\n').length - heartbeatsBefore).toBeGreaterThanOrEqual(3)
    expect(clients.map(({ tracked }) => tracked.errors.length)).toEqual(errorsBefore)
    expect(clients.every(({ tracked }) => tracked.client.state === 'open')).toBe(true)

    // Back: both engines serve again.
    await redis.restart()
    const restarted = performance.now()
    await until(
      () => a.engine.available !== false && b.engine.available !== false,
      () => 'engines not available again',
      5000,
    )
    expect(a.engine.health().state).toBe('ready')

    if (persistence) {
      expect(a.engine.epoch).toBe(epoch)
      expect(b.engine.epoch).toBe(epoch)
    } else {
      // Redis came back empty: a new log, a new epoch, found without any emit.
      await until(
        () => a.engine.epoch !== epoch && b.engine.epoch !== epoch,
        () => `epochs ${a.engine.epoch}, ${b.engine.epoch} still ${epoch}`,
        5000,
      )
      // Resumed from an id of the lost log, on the other instance: a gap.
      expect(clients.every(({ tracked }) => tracked.client.lastEventId.startsWith(`${epoch}-`))).toBe(true)
      expect(moveAll(clients, ports)).toBe(clients.length)
      await until(
        () => clients.every(({ tracked }) => tracked.errors.some((error) => error.code === 'HISTORY_GAP')),
        () =>
          `${clients.filter(({ tracked }) => !tracked.errors.some((e) => e.code === 'HISTORY_GAP')).length} without a gap`,
        5000,
      )
    }
    // Emits flow again on both instances, and from then on every one is acknowledged.
    await untilEmitsFlow(emit, a)
    await untilEmitsFlow(emit, b)
    const flowing = attempts.length
    const stopAfter = steady(10)
    await wait(200)
    // Every client resumes on the other instance (again), some of them mid-stream.
    expect(moveAll(clients, ports)).toBe(clients.length)
    await wait(200)
    await stopAfter()
    const afterwards = attempts.slice(flowing)
    expect(afterwards.length).toBeGreaterThan(20)
    expect(afterwards.filter((attempt) => attempt.id === undefined).map((attempt) => String(attempt.error))).toEqual([])

    // What every client owes: every acknowledged event of its rooms (with persistence, before and
    // after the outage; without, those of the new log). An emit in flight when Redis died may have
    // reached it though its reply never came back: such an event may appear. No other rejected
    // emit (during the outage, or while node-redis reconnected) ever does.
    const ambiguous = new Set(
      attempts.filter((attempt) => attempt.id === undefined && attempt.startedAt < killed).map(key),
    )
    const neverSent = new Set(
      attempts.filter((attempt) => attempt.id === undefined && !ambiguous.has(key(attempt))).map(key),
    )
    expect(neverSent.size).toBeGreaterThanOrEqual(down.length)
    // Long enough after Redis returned for anything held back (a queued command) to have arrived.
    await wait(Math.max(0, restarted + 1500 - performance.now()))
    const ackedNow = acked()
    const ackedAfter = ackedNow.filter((event) => !event.id.startsWith(`${epoch}-`))
    for (const [n, { tracked }] of clients.entries()) {
      const label = `client ${n} (${tracked.rooms.join(', ')})`
      const mustHave = owed(persistence ? ackedNow : ackedAfter, tracked.rooms)
      await until(
        () => mustHave.every((event) => tracked.received.some((got) => got.id === event.id)),
        () => `${label}: ${mustHave.filter((e) => !tracked.received.some((got) => got.id === e.id)).length} missing`,
        5000,
      )
    }
    await wait(100)
    for (const [n, { tracked }] of clients.entries()) {
      const label = `client ${n} (${tracked.rooms.join(', ')})`
      const ids = new Map(ackedNow.map((event) => [key(event), event.id]))
      for (const got of tracked.received) {
        expect(neverSent.has(key(got)), `${label}: ${key(got)} was rejected during the outage`).toBe(false)
        // Each received event is an acknowledged one, under its acknowledged id, or an ambiguous one.
        if (!ambiguous.has(key(got))) expect(got.id, `${label}: ${key(got)}`).toBe(ids.get(key(got)))
      }
      // In order, each once, within each epoch.
      const newer = tracked.received.filter((got) => !got.id.startsWith(`${epoch}-`))
      const older = tracked.received.filter((got) => got.id.startsWith(`${epoch}-`))
      for (const part of [older, newer]) {
        for (let k = 1; k < part.length; k++) {
          expect(compareIds((part[k] as { id: string }).id, (part[k - 1] as { id: string }).id), label).toBe(1)
        }
      }
      if (persistence) {
        expect(newer, label).toEqual([])
        expect(
          tracked.errors.filter((error) => error.code !== 'CONNECTION_LOST').map((error) => error.code),
          label,
        ).toEqual([])
      } else {
        expect(
          tracked.errors.filter((error) => error.code === 'HISTORY_GAP'),
          label,
        ).toHaveLength(1)
        expect(newer.length, label).toBeGreaterThan(0)
      }
    }
    // The stream open through the outage was never turned away or closed.
    expect(raw.text()).not.toContain('herald:busy')
    expect(await Promise.race([raw.ended.then(() => 'ended'), wait(0).then(() => 'open')])).toBe('open')
  }, 40_000)
})

describe('redis-server frozen (SIGSTOP) with its connections open', () => {
  it('an emit rejects after publishTimeoutMs, and Redis refuses it when it wakes up: never delivered', async () => {
    const random = seededRandom(404)
    const redis = await startRedis()
    cleanups.push(() => redis.stop())
    const a = await startInstance('a', redis.url, 'frozen', { publishTimeoutMs: PUBLISH_TIMEOUT_MS })
    cleanups.push(() => a.close())
    const clients = await spreadClients(4, [a.port], random)
    const { emit, acked } = emitter([a], random)
    for (let n = 0; n < 10; n++) expect((await emit(a)).id).toBeDefined()

    // Sent, but no answer: each emit waits out its timeout, then rejects.
    redis.pause()
    const frozen = await Promise.all(Array.from({ length: 6 }, () => emit(a)))
    for (const attempt of frozen) {
      expect(isHeraldError(attempt.error) && attempt.error.code, String(attempt.error)).toBe('ENGINE_UNAVAILABLE')
      const took = (attempt.settledAt ?? Infinity) - attempt.startedAt
      expect(took).toBeGreaterThanOrEqual(PUBLISH_TIMEOUT_MS - 5)
      expect(took).toBeLessThan(PUBLISH_TIMEOUT_MS + MARGIN_MS)
    }
    // Awake: it runs what it was sent meanwhile, past every deadline.
    redis.resume()
    await untilEmitsFlow(emit, a)
    for (let n = 0; n < 10; n++) expect((await emit(a)).id).toBeDefined()
    const rejected = new Set(frozen.map(key))
    for (const [n, { tracked }] of clients.entries()) {
      const label = `client ${n} (${tracked.rooms.join(', ')})`
      const mustHave = owed(acked(), tracked.rooms)
      await until(
        () => tracked.received.length >= mustHave.length,
        () => `${label}: ${tracked.received.length}/${mustHave.length}`,
      )
      await wait(300)
      expect(tracked.received.filter((got) => rejected.has(key(got))).map(key), label).toEqual([])
      expect(
        tracked.received.map((got) => got.id),
        label,
      ).toEqual(mustHave.map((event) => event.id))
    }
  }, 20_000)
})

describe('a Herald instance SIGKILLed mid-stream', () => {
  it('loses nothing its emits had acknowledged: its clients resume on another instance and get every one', async () => {
    const random = seededRandom(303)
    const redis = await startRedis()
    cleanups.push(() => redis.stop())
    const doomed = await startInstanceProcess({ name: 'p', redisUrl: redis.url, key: 'crash' })
    cleanups.push(() => doomed.kill())
    const survivor = await startInstance('s', redis.url, 'crash')
    cleanups.push(() => survivor.close())
    const clients = await spreadClients(8, [doomed.port], random)

    // The doomed instance emits every 3 ms, each emit acknowledged when its promise resolved there.
    const acked: Emitted[] = []
    const sent = new Map<number, readonly Room[]>()
    let stopped = false
    const emitting = (async () => {
      for (let seq = 0; !stopped; seq++) {
        const rooms: Room[] = random() < 0.2 ? [] : [ROOMS[Math.floor(random() * ROOMS.length)] as Room]
        sent.set(seq, rooms)
        doomed.emit(seq, rooms).then(
          (id) => acked.push({ id, from: 'p', seq, rooms }),
          () => {},
        )
        await wait(3)
      }
    })()
    await until(
      () => acked.length >= 150,
      () => `${acked.length} acknowledged`,
    )
    // The load balancer now sends every reconnect to the survivor; then the crash, mid-stream.
    for (const client of clients) client.proxy.target = survivor.port
    await doomed.kill()
    stopped = true
    await emitting
    const ackedAtCrash = [...acked]
    expect(ackedAtCrash.length).toBeGreaterThanOrEqual(150)

    // The survivor carries on; its events come after the doomed instance's, to everyone.
    const after: Emitted[] = []
    for (let seq = 0; seq < 20; seq++) {
      const rooms: Room[] = [ROOMS[seq % ROOMS.length] as Room]
      after.push({ id: await survivor.channel.to(rooms).emit('n', { from: 's', seq }), from: 's', seq, rooms })
    }
    for (const [n, { tracked }] of clients.entries()) {
      const label = `client ${n} (${tracked.rooms.join(', ')})`
      const mustHave = owed([...ackedAtCrash, ...after], tracked.rooms)
      await until(
        () => mustHave.every((event) => tracked.received.some((got) => got.id === event.id)),
        () => `${label}: ${mustHave.filter((e) => !tracked.received.some((got) => got.id === e.id)).length} missing`,
        10_000,
      )
    }
    await wait(100)
    const ids = new Map(ackedAtCrash.map((event) => [key(event), event.id]))
    for (const [n, { tracked }] of clients.entries()) {
      const label = `client ${n} (${tracked.rooms.join(', ')})`
      for (let k = 1; k < tracked.received.length; k++) {
        expect(
          compareIds((tracked.received[k] as { id: string }).id, (tracked.received[k - 1] as { id: string }).id),
          label,
        ).toBe(1)
      }
      for (const got of tracked.received) {
        if (got.from !== 'p') continue
        // An event the crash cut off before its acknowledgement may come too; anything else under its id.
        expect(sent.has(got.seq), label).toBe(true)
        if (ids.has(key(got))) expect(got.id, label).toBe(ids.get(key(got)))
      }
      expect(
        tracked.errors.filter((error) => error.code !== 'CONNECTION_LOST').map((error) => error.code),
        label,
      ).toEqual([])
    }
    // They did resume on the survivor, from ids the doomed instance had given them.
    expect(survivor.resumes.filter((id) => id !== '').length).toBeGreaterThanOrEqual(clients.length)
  }, 40_000)
})
