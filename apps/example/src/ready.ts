import type { RedisEngineHealth } from '@herald/redis'
import type { Middleware } from 'koa'

/**
 * The readiness probe, `GET /ready`: `200` with the engine's health as JSON while the instance can
 * serve streams, `503` with it while it cannot (Redis unreachable: new streams are turned away, so
 * a load balancer should send them elsewhere). Without `health` (in memory, alone) always `200`.
 */
export function readyRoute(health?: () => RedisEngineHealth): Middleware {
  const startedAt = Date.now()
  return (ctx) => {
    const body = health?.() ?? { state: 'ready', since: startedAt }
    ctx.set('Cache-Control', 'no-store')
    ctx.status = body.state === 'ready' ? 200 : 503
    ctx.body = body
  }
}
