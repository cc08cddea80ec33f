// Decoding of stream entries as node-redis returns them from raw commands: `[id, [field, value, …]]`.
// XREAD's reply is an array of `[key, entries]` in RESP2, and a map in RESP3 (an object or a Map,
// by the client's type mapping); scripts always answer in RESP2 shapes.

/** One stream entry: its id and its fields. */
export interface Entry {
  readonly id: string
  readonly fields: Readonly<Record<string, string>>
}

/** The entries of a stream as XRANGE (or a script) returns them. */
export function entriesOf(raw: unknown): Entry[] {
  if (!Array.isArray(raw)) return []
  return raw.map((item) => {
    const [id, list] = item as [unknown, unknown[]]
    const fields: Record<string, string> = {}
    for (let index = 0; index + 1 < list.length; index += 2) fields[String(list[index])] = String(list[index + 1])
    return { id: String(id), fields }
  })
}

/** The entries of the one stream an XREAD asked for; none when it timed out (null). */
export function readEntries(reply: unknown): Entry[] {
  if (reply === null || reply === undefined) return []
  if (Array.isArray(reply)) return entriesOf((reply[0] as [unknown, unknown] | undefined)?.[1])
  if (reply instanceof Map) return entriesOf(reply.values().next().value)
  if (typeof reply === 'object') return entriesOf(Object.values(reply)[0])
  return []
}
