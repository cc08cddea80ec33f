// Hidden before `prelude=app` blocks: the names the docs' fragments use, declared as a reader's
// own project would have them. Imported under `_` names so a fragment may import the real ones.
import type * as _client from '@herald/client'
import * as _schema from '@herald/schema'
import type * as _server from '@herald/server'
import type _Router from '@koa/router'
import type _Koa from 'koa'
import * as _z from 'zod'

const events = _schema.defineEvents({ name: _z.string(), age: _z.number().int(), time: _z.date() })
declare const channel: _server.Channel<typeof events>
declare const client: _client.HeraldClient<typeof events>
declare const app: _Koa
declare const router: _Router
declare const token: () => string
