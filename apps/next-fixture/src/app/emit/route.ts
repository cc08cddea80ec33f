// The test's side door: emit an event, and read how many streams are open.
import { channel } from '../../channel.ts'

export const dynamic = 'force-dynamic'

/** Emits `n` with the `seq` of the body; answers its id. */
export async function POST(request: Request): Promise<Response> {
  const { seq } = (await request.json()) as { seq: number }
  return Response.json({ id: channel.emit('n', { seq }) })
}

/** How many streams are open. */
export function GET(): Response {
  return Response.json({ size: channel.size })
}
