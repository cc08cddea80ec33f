// The `run=browser` blocks of the docs: bundled by esbuild for the browser and run in Debian's
// headless Chromium on the origin of the page's real server, so the block's relative URLs
// (`/events`) reach that server while the block's own page and bundle are served by the test.
import { SourceMap } from 'node:module'
import { dirname, join, resolve } from 'node:path'
import { build } from 'esbuild'
import type { Browser } from 'playwright-core'

/** The page a block runs in: an empty body but for the element apps usually render into. */
const HTML =
  '<!doctype html><html><head><meta charset="utf-8"><link rel="icon" href="data:,"><title>docs</title></head><body><div id="root"></div></body></html>'

/** A block bundled into one ES module, and where each of its positions came from. */
export interface BrowserBundle {
  readonly script: string
  /** The bundle's 1-based `line` and `column` as a written file's absolute path and 1-based position. */
  origin(line: number, column: number): { path: string; line: number; column: number } | undefined
}

/**
 * Bundles the written block at `path` with what it imports: the page's other blocks by relative
 * path, packages from node_modules with `@herald/source` first (the packages' sources), React in
 * its development build. Rejects with esbuild's errors.
 */
export async function bundleForBrowser(path: string): Promise<BrowserBundle> {
  const outfile = join(dirname(path), '__docs-block.js')
  const result = await build({
    entryPoints: [path],
    outfile,
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    jsx: 'automatic',
    conditions: ['@herald/source'],
    define: { 'process.env.NODE_ENV': '"development"' },
    sourcemap: 'external',
    logLevel: 'silent',
  })
  const output = (end: string) => result.outputFiles.find((file) => file.path.endsWith(end))?.text ?? ''
  const map = new SourceMap(JSON.parse(output('.js.map')))
  return {
    script: output('.js'),
    origin(line, column) {
      const entry = map.findEntry(line - 1, column - 1) as Partial<{
        originalSource: string
        originalLine: number
        originalColumn: number
      }>
      if (entry.originalSource === undefined || entry.originalLine === undefined) return undefined
      const source = resolve(dirname(outfile), entry.originalSource)
      return { path: source, line: entry.originalLine + 1, column: (entry.originalColumn ?? 0) + 1 }
    },
  }
}

/** How to run one bundled block. */
export interface BrowserRun {
  /** The page's server, `http://127.0.0.1:PORT`. */
  readonly origin: string
  readonly bundle: BrowserBundle
  readonly timeoutMs: number
  /** Names a written file's position for the reader (`page.md:LINE:COLUMN`), or `undefined`. */
  where(path: string, line: number, column: number): string | undefined
}

/**
 * Loads the block in a new page of `browser` at `origin/__docs/` and waits until its module has
 * finished. Resolves to `undefined` when it did without throwing and the page logged no uncaught
 * error and no `console.error`; otherwise to the first failure, its bundle positions named as
 * the page lines they came from.
 */
export async function runInBrowser(browser: Browser, run: BrowserRun): Promise<string | undefined> {
  const { origin, bundle, timeoutMs } = run
  const locate = (text: string) =>
    text.replace(/https?:\/\/[^\s)]+\/__docs\/block\.js:(\d+):(\d+)/g, (found, line: string, column: string) => {
      const at = bundle.origin(Number(line), Number(column))
      return at === undefined ? found : (run.where(at.path, at.line, at.column) ?? `${at.path}:${at.line}:${at.column}`)
    })
  const page = await browser.newPage()
  let timer: NodeJS.Timeout | undefined
  let failed: string | undefined
  try {
    const failure = new Promise<string>((resolve) => {
      const report = (text: string) => {
        failed ??= text
        resolve(failed)
      }
      page.on('pageerror', (error) => report(`uncaught ${locate(error.stack ?? String(error))}`))
      page.on('console', (message) => {
        if (message.type() !== 'error') return
        const { url, lineNumber, columnNumber } = message.location()
        const at = url === '' ? '' : ` (at ${locate(`${url}:${lineNumber + 1}:${columnNumber + 1}`)})`
        report(`console.error: ${locate(message.text())}${at}`)
      })
      timer = setTimeout(() => report(`did not finish within ${timeoutMs / 1000} s`), timeoutMs)
    })
    await page.route(
      (url) => url.origin === origin && url.pathname.startsWith('/__docs/'),
      (route) =>
        route.request().url().endsWith('/block.js')
          ? route.fulfill({ contentType: 'text/javascript', body: bundle.script })
          : route.fulfill({ contentType: 'text/html', body: HTML }),
    )
    await page.goto(`${origin}/__docs/`)
    // A string, not a function: vitest rewrites `import()` in the test's own code.
    const finished = page.evaluate("import('/__docs/block.js').then(() => undefined)").then(
      () => undefined,
      (error: Error) => `threw ${locate(error.message.replace(/^page\.evaluate: /, ''))}`,
    )
    // An error logged while the module still runs fails it at once, before it finishes.
    return failed ?? (await Promise.race([finished, failure])) ?? failed
  } finally {
    clearTimeout(timer)
    await page.close()
  }
}
