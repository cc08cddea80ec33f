/**
 * Reads the fenced code blocks of a Markdown page, with what its info string asks of the docs test.
 *
 * The convention, for writers of README.md, docs/*.md and each package's README.md (nothing of it
 * shows on GitHub, which reads only the first word of an info string):
 * - ```` ```ts ```` : type-checked, as its own module, under strict settings (see docs.test.ts).
 *   ```` ```tsx ```` too, with `jsx: react-jsx`; every flag below works for both.
 * - ```` ```ts file=server.ts ```` : written under that name, so later blocks of the same page can
 *   `import … from './server.ts'` as a reader's own files would.
 * - ```` ```ts prelude=NAME ```` : a fragment; `apps/docs/preludes/NAME.ts` is put before it,
 *   unseen by the reader, to declare what the fragment uses. `app` declares `events` (name, age,
 *   time), `channel`, `client`, a Koa `app`, a `router` and `token()`; `contract` only `events`
 *   and `token()`, for fragments that create their own channel or client; `topics` a contract
 *   with topics (`user`, `room`), its `channel`, a `router`, `sse`, `createClient` and `mayRead`.
 * - ```` ```ts run ```` : also executed with Node, after every server block of the page started;
 *   it must exit 0 within 20 s. `PORT` holds the port the page's server listens on.
 * - ```` ```ts run=server ```` : started first and kept running while the page's other `run`
 *   blocks run; it must listen on `PORT`, and exit 0 on SIGTERM. A page may have several: each
 *   starts a group, the `run` blocks below it up to the next one, with a `PORT` of its own, and
 *   is stopped before the next group starts (blocks above the first run with no server).
 * - ```` ```tsx run=browser ```` : bundled by esbuild (its relative imports of the page's blocks
 *   and the packages, by the `@herald/source` condition) and loaded in headless Chromium on the
 *   server's own origin, `http://127.0.0.1:PORT/__docs/`, a page whose body is one empty
 *   `<div id="root">`; so `/events` is the page's real server. It passes when its module has
 *   finished (top-level `await` included, so it may await what the page shows) without throwing,
 *   and the page logged no uncaught error and no `console.error`, within 20 s.
 * - Shell, JSON, SSE wire samples and plain text (`sh`, `json`, `jsonc`, `sse`, `http`, `text`)
 *   are exempt; a fence with any other language, or none, fails the test until it is classified.
 */

/** One fenced block of a page. */
export interface Snippet {
  /** The page it comes from, relative to the repository root. */
  readonly page: string
  /** The 1-based line of the page where its code starts (the line after the fence). */
  readonly line: number
  readonly lang: string
  readonly code: string
  /** The file name it asks for (`file=`), if any. */
  readonly file: string | undefined
  /** The prelude it asks for (`prelude=`), if any. */
  readonly prelude: string | undefined
  /** `'script'` for `run`, `'server'` for `run=server`, `'browser'` for `run=browser`, `undefined` when only type-checked. */
  readonly run: 'script' | 'server' | 'browser' | undefined
}

/** Languages the docs test type-checks (and may run). */
export const TYPESCRIPT = new Set(['ts', 'tsx'])

/** Languages the docs test does not check. */
export const EXEMPT = new Set(['sh', 'json', 'jsonc', 'sse', 'http', 'text'])

/** What each `run` value asks for; any other value is a mistake. */
const RUNS = new Map<string, Snippet['run']>([
  ['', 'script'],
  ['server', 'server'],
  ['browser', 'browser'],
])

/** Every fenced block of `markdown`, in order. Throws on a fence that is never closed, or an unknown `run=`. */
export function readSnippets(page: string, markdown: string): Snippet[] {
  const lines = markdown.split('\n')
  const snippets: Snippet[] = []
  for (let index = 0; index < lines.length; index++) {
    const open = /^( *)(`{3,}|~{3,})(.*)$/.exec(lines[index] as string)
    if (open === null) continue
    const [, indent = '', fence = '', info = ''] = open
    const words = info.trim().split(/\s+/).filter(Boolean)
    const flags = new Map(words.slice(1).map((word) => [word.split('=')[0], word.split('=')[1] ?? ''] as const))
    const body: string[] = []
    let end = index + 1
    while (end < lines.length && !(lines[end] as string).trimStart().startsWith(fence)) {
      body.push((lines[end] as string).slice(indent.length))
      end += 1
    }
    if (end === lines.length) throw new Error(`${page}:${index + 1}: a code fence that is never closed`)
    const run = flags.get('run')
    const runs = run === undefined ? undefined : RUNS.get(run)
    if (run !== undefined && runs === undefined) throw new Error(`${page}:${index + 1}: unknown run=${run}`)
    snippets.push({
      page,
      line: index + 2,
      lang: words[0] ?? '',
      code: `${body.join('\n')}\n`,
      file: flags.get('file') || undefined,
      prelude: flags.get('prelude') || undefined,
      run: runs,
    })
    index = end
  }
  return snippets
}
