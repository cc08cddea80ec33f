// Hidden before `prelude=contract` blocks: only the contract and a token source, for fragments
// that create their own channel or client (`prelude=app` also declares `channel` and `client`).
import * as _schema from '@herald/schema'
import * as _z from 'zod'

// biome-ignore lint/correctness/noUnusedVariables: the fragment after this prelude uses it
const events = _schema.defineEvents({ name: _z.string(), age: _z.number().int(), time: _z.date() })
declare const token: () => string
