import { parseArgs } from 'node:util'

/** What `herald tail` was asked to do, read from the command line. */
export interface TailArguments {
  /** The stream's URL. */
  readonly url: string
  /** The module that exports the contract: a path to a `.ts` or `.js` file. */
  readonly eventsFile: string
  /** The name of the export to use; by default, the module's only contract. */
  readonly exportName: string | undefined
  /** Print only these events; empty for all. */
  readonly eventNames: readonly string[]
  /** Topics to subscribe to. */
  readonly topics: readonly string[]
  /** Request headers, by name. */
  readonly headers: Readonly<Record<string, string>>
  /** Resume after this event id. */
  readonly lastEventId: string | undefined
  /** One JSON object per event on stdout instead of pretty lines. */
  readonly json: boolean
  /** Exit 1 on the first payload that fails validation or event outside the contract. */
  readonly strict: boolean
  /** False when `--no-color` was given. */
  readonly color: boolean
}

/** What the command line asks for: help, the version, or a tail; or it is wrong (`usage`). */
export type Command =
  | { readonly kind: 'help' }
  | { readonly kind: 'version' }
  | { readonly kind: 'usage'; readonly message: string }
  | { readonly kind: 'tail'; readonly args: TailArguments }

/** The text of `herald --help`. */
export const HELP = `Usage: herald tail <url> --events <file> [options]

Connects to a Herald (or any SSE) stream and prints its events, decoded and
validated with the contract that <file> exports (a .ts or .js module).

Options:
  --events <file>         the module exporting the defineEvents() contract (required)
  --export <name>         the export to use (default: the module's only contract)
  --event <name>          print only this event; repeat for several
  --topic <topic>         subscribe to a topic, such as room:1; repeat for several
  --header '<name>: <value>'
                          send a request header; repeat for several
  --last-event-id <id>    resume after this event id
  --json                  one JSON object per line on stdout: { "name", "id", "payload" }
  --strict                exit 1 on the first invalid payload or unknown event
  --no-color              no colours (also: NO_COLOR=1, or output that is not a terminal)
  -h, --help              show this help
  -v, --version           show the version

Exit codes: 0 after Ctrl-C, SIGTERM or the end of the stream; 1 when the server
refuses the stream (401, 404…) or, with --strict, on a validation error; 2 on bad
usage (arguments, the contract file or its export).

Examples:
  herald tail http://localhost:3000/events --events ./src/events.ts
  herald tail https://app.example/events --events ./src/events.ts --event age --json | jq .payload
  herald tail https://app.example/events --events ./dist/events.js --topic room:1 \\
    --header 'authorization: Bearer secret'
`

const OPTIONS = {
  events: { type: 'string' },
  export: { type: 'string' },
  event: { type: 'string', multiple: true },
  topic: { type: 'string', multiple: true },
  header: { type: 'string', multiple: true },
  'last-event-id': { type: 'string' },
  json: { type: 'boolean' },
  strict: { type: 'boolean' },
  'no-color': { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean', short: 'v' },
} as const

/** Thrown inside `parseCommand` only, and returned as its `usage` command. */
class UsageError extends Error {}

function usage(message: string): UsageError {
  return new UsageError(message)
}

/**
 * Reads `herald`'s arguments (without `node` and the script). Needs nothing but `node:util`, so
 * `--help` and usage errors answer without loading the client or tsx.
 */
export function parseCommand(argv: readonly string[]): Command {
  try {
    return readCommand(argv)
  } catch (error) {
    if (error instanceof UsageError) return { kind: 'usage', message: error.message }
    throw error
  }
}

function readCommand(argv: readonly string[]): Command {
  const parse = () => parseArgs({ args: [...argv], options: OPTIONS, allowPositionals: true, strict: true })
  let parsed: ReturnType<typeof parse>
  try {
    parsed = parse()
  } catch (error) {
    // parseArgs words its errors well, but its hint about '--' misleads here: keep the first sentence.
    const message = (error as Error).message
    throw usage(message.replace(/^Unknown option '([^']*)'\..*$/s, "unknown option '$1'"))
  }
  const { values, positionals } = parsed
  if (values.help === true) return { kind: 'help' }
  if (values.version === true) return { kind: 'version' }
  const [command, url, ...rest] = positionals
  if (command === undefined) throw usage('a command is required: herald tail <url> --events <file>')
  if (command === 'help') return { kind: 'help' }
  if (command !== 'tail') throw usage(`unknown command '${command}': the one command is 'tail'`)
  if (url === undefined) throw usage('the stream URL is required: herald tail <url> --events <file>')
  if (rest.length > 0) throw usage(`unexpected argument '${rest[0]}'`)
  checkUrl(url)
  if (values.events === undefined || values.events === '') {
    throw usage('--events <file> is required: the module that exports your defineEvents() contract')
  }
  return {
    kind: 'tail',
    args: {
      url,
      eventsFile: values.events,
      exportName: values.export,
      eventNames: values.event ?? [],
      topics: values.topic ?? [],
      headers: parseHeaders(values.header ?? []),
      lastEventId: values['last-event-id'],
      json: values.json === true,
      strict: values.strict === true,
      color: values['no-color'] !== true,
    },
  }
}

function checkUrl(url: string): void {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    throw usage(`'${url}' is not a URL: give the stream's full URL, such as http://localhost:3000/events`)
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw usage(`'${url}' is not an http or https URL`)
  }
}

// `Name: value`, split at the first colon; a name as fetch's Headers takes it.
const TOKEN = /^[!#$%&'*+.^_`|~0-9a-z-]+$/i

function parseHeaders(lines: readonly string[]): Record<string, string> {
  const headers: Record<string, string> = {}
  for (const line of lines) {
    const colon = line.indexOf(':')
    const name = colon === -1 ? '' : line.slice(0, colon).trim()
    if (!TOKEN.test(name)) throw usage(`--header '${line}': expected 'name: value'`)
    headers[name.toLowerCase()] = line.slice(colon + 1).trim()
  }
  return headers
}
