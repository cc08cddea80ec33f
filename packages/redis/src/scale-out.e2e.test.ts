import { afterEach, describe, expect, it } from 'vitest'
import {
  compareIds,
  type Emitted,
  type Instance,
  owed,
  type Room,
  type SwitchProxy,
  seededRandom,
  startInstance,
  startSwitchProxy,
  type Tracked,
  track,
  until,
  wait,
} from './test-scale-fixtures.ts'
import { startRedis } from './testing.ts'

// Scale-out end to end: three Koa instances on three ports share one real redis-server; 30 Herald
// clients, each behind a TCP proxy of its own, are cut at random while all three instances emit,
// and each reconnects through its proxy to a DIFFERENT instance, resuming there from its last id.

const SEED = 0x5ca1e
const cleanups: (() => unknown)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

describe('three instances sharing one Redis', () => {
  it('30 clients moved between instances at random each get every event of their topics, in order, once, with the same ids', async () => {
    const random = seededRandom(SEED)
    const redis = await startRedis()
    cleanups.push(() => redis.stop())
    const instances: Instance[] = []
    for (const name of ['a', 'b', 'c']) {
      const instance = await startInstance(name, redis.url, 'scale')
      cleanups.push(() => instance.close())
      instances.push(instance)
    }
    const at = (n: number) => instances[n] as Instance
    expect(new Set(instances.map((instance) => instance.engine.epoch)).size).toBe(1)

    const ROOMS = 6
    const room = (): Room => `room:${1 + Math.floor(random() * ROOMS)}`
    const clients: { tracked: Tracked; proxy: SwitchProxy; on: number }[] = []
    for (let n = 0; n < 30; n++) {
      const rooms = [room()]
      while (rooms.length < 2) {
        const other = room()
        if (!rooms.includes(other)) rooms.push(other)
      }
      const proxy = await startSwitchProxy(at(n % 3).port)
      cleanups.push(() => proxy.close())
      const tracked = track(proxy.port, rooms)
      cleanups.push(() => tracked.client.close())
      clients.push({ tracked, proxy, on: n % 3 })
    }
    await until(
      () => clients.every(({ tracked }) => tracked.client.state === 'open' && tracked.client.topics.length === 2),
      () => `${clients.filter(({ tracked }) => tracked.client.state !== 'open').length} clients not open`,
    )

    // Each instance emits in bursts of 1 to 4 emits made at once (not awaiting each other), to a
    // room, two rooms or everyone; `calls` keeps each instance's emits in the order it made them.
    const emitted: Emitted[] = []
    const calls: Promise<string>[][] = [[], [], []]
    const PER_INSTANCE = 400
    const emitting = instances.map(async (instance, n) => {
      let seq = 0
      while (seq < PER_INSTANCE) {
        const burst = 1 + Math.floor(random() * 4)
        for (let k = 0; k < burst && seq < PER_INSTANCE; k++, seq++) {
          const roll = random()
          const rooms: Room[] = roll < 0.15 ? [] : roll < 0.6 ? [room()] : [...new Set([room(), room()])]
          const payload = { from: instance.name, seq }
          const id =
            rooms.length === 0 ? instance.channel.emit('n', payload) : instance.channel.to(rooms).emit('n', payload)
          calls[n]?.push(id)
          void id.then((value) => emitted.push({ id: value, from: instance.name, seq: payload.seq, rooms }))
        }
        await wait(5 + Math.floor(random() * 20))
      }
    })

    // Meanwhile, cut a random client every 10 to 50 ms, pointing its proxy at another instance first.
    let kills = 0
    let done = false
    const killing = (async () => {
      while (!done) {
        await wait(10 + Math.floor(random() * 40))
        const victim = clients[Math.floor(random() * clients.length)]
        if (victim === undefined || victim.tracked.client.state !== 'open') continue
        victim.on = (victim.on + 1 + Math.floor(random() * 2)) % 3
        victim.proxy.target = at(victim.on).port
        kills += victim.proxy.cut()
      }
    })()
    await Promise.all(emitting)
    const ids = await Promise.all(calls.map((list) => Promise.all(list)))
    done = true
    await killing

    // Each instance's own emits carry increasing ids, in the order it made them; no id twice.
    for (const list of ids) {
      for (let k = 1; k < list.length; k++) expect(compareIds(list[k] as string, list[k - 1] as string)).toBe(1)
    }
    expect(new Set(ids.flat()).size).toBe(3 * PER_INSTANCE)
    expect(emitted).toHaveLength(3 * PER_INSTANCE)

    const byId = new Map(emitted.map((event) => [event.id, event]))
    const expected = clients.map(({ tracked }) => owed(emitted, tracked.rooms))
    await until(
      () => clients.every(({ tracked }, n) => tracked.received.length >= (expected[n]?.length ?? 0)),
      () =>
        clients
          .map(({ tracked }, n) => `${n}: ${tracked.received.length}/${expected[n]?.length}`)
          .filter((_, n) => (clients[n]?.tracked.received.length ?? 0) < (expected[n]?.length ?? 0))
          .join(', '),
      15_000,
    )
    await wait(100) // a duplicate arriving late would show now
    clients.forEach(({ tracked }, n) => {
      const label = `client ${n} (${tracked.rooms.join(', ')})`
      // The full sequence of its topics, in the order Redis gave them, each once.
      expect(
        tracked.received.map((event) => event.id),
        label,
      ).toEqual(expected[n]?.map((event) => event.id))
      // The same id names the same event on every instance.
      for (const event of tracked.received) {
        expect({ from: event.from, seq: event.seq }, label).toEqual({
          from: byId.get(event.id)?.from,
          seq: byId.get(event.id)?.seq,
        })
      }
      expect(
        tracked.errors.filter((error) => error.code !== 'CONNECTION_LOST').map((error) => error.code),
        label,
      ).toEqual([])
    })

    // The run did what it claims: many cuts, each reconnect through a proxy on another instance,
    // and every instance resumed clients from a Last-Event-ID.
    expect(kills).toBeGreaterThanOrEqual(60)
    const moved = clients.filter(({ proxy }) => new Set(proxy.history).size >= 2).length
    expect(moved).toBeGreaterThanOrEqual(25)
    for (const { proxy } of clients) {
      for (let k = 1; k < proxy.history.length; k++) expect(proxy.history[k]).not.toBe(proxy.history[k - 1])
    }
    for (const instance of instances) expect(instance.resumes.filter((id) => id !== '').length).toBeGreaterThan(5)
  }, 40_000)
})
