// Herald's event ids, `<epoch>-<ms>-<seq>` (or `<ms>-<seq>` before epochs), are ordered within an
// epoch: by milliseconds, then sequence, as numbers. The shared client compares them to drop an
// event a tab already had and to resume from the oldest position of all tabs.

const ID = /^(?:([A-Za-z0-9]{1,16})-)?(0|[1-9][0-9]{0,19})-(0|[1-9][0-9]{0,19})$/

// Digits without leading zeros: the longer is the larger, then text order is number order.
const compareDigits = (a: string, b: string) =>
  a.length === b.length ? (a < b ? -1 : a > b ? 1 : 0) : a.length - b.length

/**
 * Compares two event ids: negative when `a` comes before `b`, 0 when equal, positive after;
 * `undefined` when they cannot be ordered (another epoch, not Herald's shape, or empty).
 */
export function compareIds(a: string, b: string): number | undefined {
  const left = ID.exec(a)
  const right = ID.exec(b)
  if (left === null || right === null || left[1] !== right[1]) return undefined
  return compareDigits(left[2] ?? '', right[2] ?? '') || compareDigits(left[3] ?? '', right[3] ?? '')
}

/** Whether an event with id `id` is new to a tab at `position`: after it, or not comparable with it. */
export function isAfter(id: string, position: string): boolean {
  const order = compareIds(id, position)
  return order === undefined || order > 0
}

/**
 * The position to resume from so that no tab misses an event: the oldest of `positions` (empty
 * ones, tabs that saw nothing yet, left out). Positions of another epoch than the first are left
 * out too: they cannot be placed, and the server answers them with a gap anyway.
 */
export function oldestId(positions: Iterable<string>): string {
  let oldest = ''
  for (const position of positions) {
    if (position === '') continue
    if (oldest === '') oldest = position
    else if ((compareIds(position, oldest) ?? 0) < 0) oldest = position
  }
  return oldest
}

/** Whether a stream restarting at `from` replays all a tab at `position` lacks (or can do no better). */
export function covers(from: string, position: string): boolean {
  return position === '' || (from !== '' && (compareIds(from, position) ?? 0) <= 0)
}
