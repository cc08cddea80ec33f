// Medians, ranges and same-round ratios over the rounds of a run.

/** A median and the range around it. */
export interface Summary {
  median: number
  min: number
  max: number
  n: number
}

/** Summarizes the finite values; undefined when there are none. */
export function summarize(values: readonly (number | undefined)[]): Summary | undefined {
  const sorted = values.filter((value): value is number => value !== undefined && Number.isFinite(value))
  if (sorted.length === 0) return undefined
  sorted.sort((a, b) => a - b)
  const middle = sorted.length >> 1
  const median =
    sorted.length % 2 === 1
      ? (sorted[middle] as number)
      : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2
  return { median, min: sorted[0] as number, max: sorted[sorted.length - 1] as number, n: sorted.length }
}

/**
 * Ratios of a server's value to the baseline's value in the same round, summarized over rounds:
 * machine drift between rounds cancels out, which it would not in a ratio of medians.
 */
export function sameRoundRatios<TRun extends { round: number }>(
  runs: readonly TRun[],
  baseline: readonly TRun[],
  value: (run: TRun) => number | undefined,
): Summary | undefined {
  const ratios = runs.map((run) => {
    const base = baseline.find((candidate) => candidate.round === run.round)
    const numerator = value(run)
    const denominator = base === undefined ? undefined : value(base)
    return numerator === undefined || denominator === undefined || denominator === 0
      ? undefined
      : numerator / denominator
  })
  return summarize(ratios)
}
