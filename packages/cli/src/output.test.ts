import { describe, expect, it } from 'vitest'
import { createOutput, type TextStream } from './output.ts'

// The connection line on a terminal: redrawn in place, and kept below the other lines.

function stream(isTTY: boolean): TextStream & { text: string } {
  return {
    isTTY,
    text: '',
    write(chunk) {
      this.text += chunk
      return true
    },
  }
}

const CLEAR = '\r\x1b[2K'

describe('createOutput', () => {
  it('writes plain lines when stderr is not a terminal', () => {
    const [stdout, stderr] = [stream(false), stream(false)]
    const output = createOutput(stdout, stderr)
    output.status('○ connecting')
    output.out('event')
    output.err('error')
    output.status('● open')
    output.end()
    expect(output.live).toBe(false)
    expect(stdout.text).toBe('event\n')
    expect(stderr.text).toBe('○ connecting\nerror\n● open\n')
  })

  it('on a terminal, redraws the connection line in place and writes other lines above it', () => {
    const [stdout, stderr] = [stream(true), stream(true)]
    const output = createOutput(stdout, stderr)
    output.status('○ connecting')
    output.status('● open')
    output.status('● open') // unchanged: nothing written
    output.err('error')
    output.end()
    expect(output.live).toBe(true)
    expect(stderr.text).toBe(`${CLEAR}○ connecting${CLEAR}● open${CLEAR}error\n● open\n`)
  })

  it('clears the line before an event when stdout is the same terminal, and leaves a pipe alone', () => {
    const [terminal, stderr] = [stream(true), stream(true)]
    const shared = createOutput(terminal, stderr)
    shared.status('● open')
    shared.out('event')
    expect(terminal.text).toBe('event\n')
    expect(stderr.text).toBe(`${CLEAR}● open${CLEAR}● open`)

    shared.out('event 2', '● open · 2 events') // drawn once, with the new count
    expect(stderr.text).toBe(`${CLEAR}● open${CLEAR}● open${CLEAR}● open · 2 events`)

    const [pipe, stderr2] = [stream(false), stream(true)]
    const piped = createOutput(pipe, stderr2)
    piped.status('● open')
    piped.out('event', '● open · 1 event')
    expect(pipe.text).toBe('event\n')
    expect(stderr2.text).toBe(`${CLEAR}● open${CLEAR}● open · 1 event`)
  })
})
