import { inspect, styleText } from 'node:util'
import type { HeraldError } from '@herald/client'

/** A text style `styleText` knows: a colour or a modifier. */
export type Style = Parameters<typeof styleText>[0]

/** Styles text, or returns it as it is when colours are off. */
export type Paint = (style: Style, text: string) => string

/**
 * A painter. The choice of colours is made once, by the caller, for the stream written to:
 * `validateStream: false` stops Node ≥ 22.13 from checking stdout again (stderr may differ).
 */
export function createPaint(color: boolean): Paint {
  if (!color) return (_style, text) => text
  return (style, text) => (text === '' ? '' : styleText(style, text, { validateStream: false }))
}

/**
 * Whether to colour what goes to `stream`: never with `--no-color` or a non-empty `NO_COLOR`;
 * always with `FORCE_COLOR` set to anything but `0`; else when the stream is a terminal.
 */
export function wantsColor(flag: boolean, stream: { readonly isTTY?: boolean }, env: NodeJS.ProcessEnv): boolean {
  if (!flag || (env['NO_COLOR'] ?? '') !== '') return false
  const force = env['FORCE_COLOR']
  if (force !== undefined) return force !== '0'
  return stream.isTTY === true
}

/** One event as `herald tail` prints it. */
export interface PrintedEvent {
  readonly name: string
  /** The stream's last event id when it arrived. */
  readonly id: string
  readonly payload: unknown
  readonly at: Date
}

const NAME_COLOURS = [
  'cyan',
  'green',
  'yellow',
  'magenta',
  'blue',
  'cyanBright',
  'greenBright',
  'magentaBright',
] as const

/** A colour for each event name, stable across runs: the same name is always the same colour. */
export function colourOf(name: string): Style {
  let hash = 0
  for (let index = 0; index < name.length; index++) hash = (hash * 31 + name.charCodeAt(index)) >>> 0
  return NAME_COLOURS[hash % NAME_COLOURS.length] as Style
}

/** `12:04:05.123`, in local time. */
export function clock(at: Date): string {
  const two = (value: number) => String(value).padStart(2, '0')
  return `${two(at.getHours())}:${two(at.getMinutes())}:${two(at.getSeconds())}.${String(at.getMilliseconds()).padStart(3, '0')}`
}

/**
 * One pretty line: time, name (coloured, padded to `nameWidth`), `#id`, and the payload as
 * `util.inspect` shows it on one line (Dates as dates, Maps as Maps).
 */
export function prettyLine(event: PrintedEvent, paint: Paint, color: boolean, nameWidth: number): string {
  const payload = inspect(event.payload, { colors: color, depth: 8, breakLength: Number.POSITIVE_INFINITY })
  const id = event.id === '' ? '' : ` ${paint('dim', `#${event.id}`)}`
  return `${paint('dim', clock(event.at))} ${paint(colourOf(event.name), event.name.padEnd(nameWidth))}${id} ${payload}`
}

// JSON has no bigint, Map or Set: a bigint is written as its decimal string, a Map as its [key,
// value] pairs and a Set as an array. Dates are ISO strings already (their toJSON runs first).
function replacer(_key: string, value: unknown): unknown {
  if (typeof value === 'bigint') return value.toString()
  if (value instanceof Map) return [...value]
  if (value instanceof Set) return [...value]
  return value
}

/** One `--json` line: `{"name":…,"id":…,"payload":…}`, without the newline. */
export function jsonLine(event: PrintedEvent): string {
  return JSON.stringify({ name: event.name, id: event.id, payload: event.payload }, replacer)
}

/** An error as `herald tail` reports it on stderr: its code, then its message. */
export function errorLine(error: HeraldError, paint: Paint, at: Date): string {
  return `${paint('dim', clock(at))} ${paint(['red', 'bold'], error.code)} ${error.message}`
}

/** Where the connection stands, as the connection line shows it. */
export type LineState = 'connecting' | 'open' | 'reconnecting' | 'closed'

const STATE_LOOK: Readonly<Record<LineState, readonly [string, Style]>> = {
  connecting: ['○', 'yellow'],
  open: ['●', 'green'],
  reconnecting: ['◌', 'yellow'],
  closed: ['×', 'dim'],
}

/** The connection line: `● open http://host/events · last id 41 · 12 events`. */
export function statusLine(state: LineState, url: string, lastEventId: string, count: number, paint: Paint): string {
  const [mark, style] = STATE_LOOK[state]
  const id = lastEventId === '' ? '' : ` · last id ${lastEventId}`
  const seen = count === 0 ? '' : ` · ${count} event${count === 1 ? '' : 's'}`
  return `${paint(style, `${mark} ${state}`)} ${url}${paint('dim', `${id}${seen}`)}`
}

/**
 * `url` as the connection line shows it, without credentials: userinfo and query values become
 * `***`, as the client's own messages show URLs.
 */
export function shownUrl(url: string): string {
  const parsed = new URL(url)
  if (parsed.username !== '' || parsed.password !== '') {
    parsed.username = '***'
    parsed.password = ''
  }
  for (const key of new Set(parsed.searchParams.keys())) parsed.searchParams.set(key, '***')
  if (parsed.hash !== '') parsed.hash = '***'
  return parsed.href.replaceAll('%2A', '*')
}
