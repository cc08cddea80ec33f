import { describe, expect, it } from 'vitest'
// @ts-expect-error a plain .mjs script, without type declarations
import { report } from '../../../scripts/size.mjs'

// The size budget, in the suite: `node scripts/size.mjs` prints the same figures. A bundle over
// its budget fails here; raise a budget in scripts/size.mjs only on purpose.

interface Row {
  name: string
  raw: number
  gzip: number
  budget: { raw: number; gzip: number }
}

describe('browser bundle sizes', () => {
  it('stay within their budgets', async () => {
    const rows = (await report()) as Row[]
    expect(rows.length).toBeGreaterThan(0)
    for (const row of rows) {
      expect(row.raw, `${row.name}: raw bytes`).toBeLessThanOrEqual(row.budget.raw)
      expect(row.gzip, `${row.name}: gzip bytes`).toBeLessThanOrEqual(row.budget.gzip)
    }
  }, 60_000)
})
