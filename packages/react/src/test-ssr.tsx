// The server-rendering entry of the tests, bundled by test-react.ts for one React version.
import { version } from 'react'
import { renderToString } from 'react-dom/server'
import { events } from './test-events.ts'
import { View } from './test-view.tsx'

export { events, version }

/** `renderToString` of the test view. */
export function renderView(props: Parameters<typeof View>[0]): string {
  return renderToString(<View {...props} />)
}
