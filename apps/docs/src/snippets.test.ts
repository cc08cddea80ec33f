import { describe, expect, it } from 'vitest'
import { readSnippets } from './snippets.ts'

const page = (...blocks: string[]) => blocks.map((info) => `${info}\nconst x = 1\n\`\`\`\n`).join('\n')

describe('readSnippets', () => {
  it('reads the run flags: none, run, run=server and run=browser', () => {
    const snippets = readSnippets(
      'page.md',
      page('```ts', '```ts run', '```ts file=server.ts run=server', '```tsx run=browser', '```ts run=browser'),
    )
    expect(snippets.map((s) => [s.lang, s.run])).toEqual([
      ['ts', undefined],
      ['ts', 'script'],
      ['ts', 'server'],
      ['tsx', 'browser'],
      ['ts', 'browser'],
    ])
    expect(snippets[2]?.file).toBe('server.ts')
    expect(snippets[3]).toMatchObject({ line: 14, code: 'const x = 1\n', file: undefined, prelude: undefined })
  })

  it('refuses a run value it does not know, naming the fence', () => {
    expect(() => readSnippets('page.md', page('```ts', '```tsx run=brwser'))).toThrow('page.md:5: unknown run=brwser')
  })
})
