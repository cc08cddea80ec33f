import type { Context } from 'koa'

/** The most bytes of a JSON request body the example reads. */
const MAX_BODY_BYTES = 4096

/**
 * Reads the request's JSON body (at most 4 KB); `undefined` for any other content type, a body too
 * long or not JSON. Asking for `application/json` also keeps plain HTML forms of other sites out:
 * a browser sends that type across origins only after a CORS preflight, which this server denies.
 */
export async function readJson(ctx: Context): Promise<unknown> {
  if (!ctx.is('application/json')) return undefined
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of ctx.req as AsyncIterable<Buffer>) {
    size += chunk.length
    if (size > MAX_BODY_BYTES) return undefined
    chunks.push(chunk)
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown
  } catch {
    return undefined
  }
}
