/** A stream `herald tail` writes to: `process.stdout` or `process.stderr`. */
export interface TextStream {
  readonly isTTY?: boolean
  write(text: string): boolean
}

/** Where `herald tail` writes: events to stdout, the rest to stderr, the connection line kept last. */
export interface Output {
  /** True when the connection line is redrawn in place (stderr is a terminal). */
  readonly live: boolean
  /** Writes one line to stdout; then shows `status` as the connection line, when given. */
  out(line: string, status?: string): void
  /** Writes one line to stderr. */
  err(line: string): void
  /** Shows the connection line: redrawn in place on a terminal, else written as a line to stderr. */
  status(line: string): void
  /** Leaves the connection line where it is, with its newline. */
  end(): void
}

const CLEAR = '\r\x1b[2K'

/**
 * Creates the output. When stderr is a terminal, the connection line stays at its bottom and is
 * redrawn in place: other lines are written above it, stdout's too when stdout is the same terminal.
 */
export function createOutput(stdout: TextStream, stderr: TextStream): Output {
  const live = stderr.isTTY === true
  const shared = live && stdout.isTTY === true
  let current = ''
  const status = (line: string) => {
    if (!live) {
      stderr.write(`${line}\n`)
      return
    }
    if (line === current) return
    current = line
    stderr.write(`${CLEAR}${line}`)
  }
  return {
    live,
    out(line, next) {
      if (!shared) {
        stdout.write(`${line}\n`)
        if (next !== undefined) status(next)
        return
      }
      if (next !== undefined) current = next
      stderr.write(CLEAR)
      stdout.write(`${line}\n`)
      stderr.write(current)
    },
    err(line) {
      stderr.write(live ? `${CLEAR}${line}\n${current}` : `${line}\n`)
    },
    status,
    end() {
      if (live && current !== '') stderr.write('\n')
      current = ''
    },
  }
}
