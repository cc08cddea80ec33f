// The React a test runs on: 19 is the workspace's own `react` and `react-dom`; 18 is installed
// beside it by the private workspace packages/react-18-fixture (its own react and react-dom, so
// react-dom's peer is React 18). Tests bundle with esbuild and, for 18, resolve every import of
// `react` and `react-dom` (subpaths included: react/jsx-runtime, react-dom/client, …) from there,
// so the hooks' own imports of `react` get React 18 too.
import { mkdtempSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { build, type Plugin } from 'esbuild'
import type { View } from './test-view.tsx'

/** The React majors the hooks are tested on. */
export const REACT_VERSIONS = [18, 19] as const
/** One of {@link REACT_VERSIONS}. */
export type ReactVersion = (typeof REACT_VERSIONS)[number]

const fixture = fileURLToPath(new URL('../../react-18-fixture/', import.meta.url))

/** An esbuild plugin resolving `react` and `react-dom` (and their subpaths) to React `version`. */
export function reactPlugin(version: ReactVersion): Plugin {
  return {
    name: `react-${version}`,
    setup(build) {
      if (version === 19) return
      build.onResolve({ filter: /^react(-dom)?(\/.*)?$/ }, async (args) => {
        if (args.pluginData === fixture) return undefined
        const result = await build.resolve(args.path, { kind: args.kind, resolveDir: fixture, pluginData: fixture })
        return result.errors.length > 0 ? { errors: result.errors } : { path: result.path }
      })
    },
  }
}

/** The server-rendering entry, bundled for Node on React `version`. */
export interface ServerRender {
  /** `React.version` of the bundle. */
  readonly version: string
  /** The contract the bundled hooks check clients against. */
  readonly events: typeof import('./test-events.ts').events
  /** `renderToString` of the test view. */
  renderView(props: Parameters<typeof View>[0]): string
}

/** Bundles test-ssr.tsx with React `version` for Node and loads it. */
export async function loadServerRender(version: ReactVersion): Promise<ServerRender> {
  const bundle = await build({
    entryPoints: [fileURLToPath(new URL('./test-ssr.tsx', import.meta.url))],
    bundle: true,
    write: false,
    format: 'cjs',
    platform: 'node',
    target: 'node20',
    jsx: 'automatic',
    conditions: ['@herald/source'],
    define: { 'process.env.NODE_ENV': '"development"' },
    plugins: [reactPlugin(version)],
    logLevel: 'warning',
  })
  const file = join(mkdtempSync(join(tmpdir(), 'herald-react-ssr-')), `ssr-${version}.cjs`)
  writeFileSync(file, bundle.outputFiles[0]?.text ?? '')
  return createRequire(import.meta.url)(file) as ServerRender
}
