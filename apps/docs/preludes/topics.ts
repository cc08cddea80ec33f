// Hidden before `prelude=topics` blocks: a contract with topics, a channel and a router, and the
// application's own `mayRead`. (The fragment after it uses what Biome sees as unused here.)
// biome-ignore-all lint/correctness/noUnusedImports: used by the fragment
// biome-ignore-all lint/correctness/noUnusedVariables: used by the fragment
import { createClient } from '@herald/client'
import * as _schema from '@herald/schema'
import * as _server from '@herald/server'
import { sse } from '@herald/server/koa'
import _Router from '@koa/router'
import * as _z from 'zod'

const events = _schema.defineEvents(
  { name: _z.string(), age: _z.number().int() },
  { topics: { user: _z.string(), room: _z.int() } },
)
const channel = _server.createChannel(events)
const router = new _Router()
declare function mayRead(user: string, topic: string): Promise<boolean>
