import { toAsyncAPI } from '@herald/schema'
import type { Middleware } from 'koa'
import { events } from './events.ts'

/**
 * `GET /asyncapi.json`: the example's contract as an AsyncAPI 3.0.0 document (docs/asyncapi.md),
 * its server the host and scheme the request came on, so tools pointed at it find the stream.
 */
export function asyncapiRoute(): Middleware {
  return (ctx) => {
    ctx.set('Cache-Control', 'no-cache')
    ctx.body = toAsyncAPI(events, {
      title: 'Herald example',
      version: '0.1.0',
      description: 'A clock, a name/age demo and a chat with rooms, on one typed event stream.',
      host: ctx.host || 'localhost',
      protocol: ctx.protocol === 'https' ? 'https' : 'http',
      path: '/events',
      tickets: true,
    })
  }
}
