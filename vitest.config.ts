import { defineConfig } from 'vitest/config'

// Tests import the packages' TypeScript source through the `@herald/source` export condition,
// so they run without a build; apps/example resolves the built `dist` like any user would.
export default defineConfig({
  resolve: { conditions: ['@herald/source'] },
  ssr: { resolve: { conditions: ['@herald/source'] } },
  test: {
    include: ['packages/*/src/**/*.test.ts', 'apps/*/src/**/*.test.ts'],
    reporters: ['default', './scripts/summary-reporter.ts'],
    testTimeout: 20_000,
    hookTimeout: 30_000,
  },
})
