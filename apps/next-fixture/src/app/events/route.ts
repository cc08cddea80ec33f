// The stream: Herald's Fetch adapter is a route handler as it is.
import { sse } from '@herald/server/fetch'
import { channel } from '../../channel.ts'

// Never prerendered or cached: every request is a new stream.
export const dynamic = 'force-dynamic'

const stream = sse(channel)

/** Serves the channel's stream. */
export const GET = (request: Request): Promise<Response> => stream(request)
