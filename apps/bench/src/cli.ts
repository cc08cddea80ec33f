// What the benchmarks' command lines share.

/** Stops on bad usage: `message` on stderr, exit code 2. */
export function fail(message: string): never {
  process.stderr.write(`${message}\n`)
  process.exit(2)
}

/** The whole number `--name` gave (`value`), stopping on bad usage unless it is one ≥ `min`. */
export function wholeFlag(name: string, value: string | number, min: number): number {
  const number = Number(value)
  if (!Number.isInteger(number) || number < min) fail(`--${name} must be a whole number ≥ ${min}`)
  return number
}

/** `--rounds`: 3 by default, 1 for a smoke run. */
export const roundsFlag = (values: { rounds?: string | undefined; smoke?: boolean | undefined }): number =>
  wholeFlag('rounds', values.rounds ?? (values.smoke ? 1 : 3), 1)
