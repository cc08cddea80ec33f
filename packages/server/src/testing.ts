// `@herald/server/testing`: what an application's tests and an engine package need. `connect`
// opens a typed stream to a channel, or to the app that serves it, in memory (no port); the
// engine conformance suite runs under vitest (an optional peer dependency), so nothing here is
// imported by the rest of the server.
export type { AnyEngine, EngineConformanceOptions, EngineFactory } from './engine-conformance.ts'
export { describeEngineConformance } from './engine-conformance.ts'
export type { ConnectableChannel, ConnectOptions, RequestHandler } from './testing-connect.ts'
export { connect } from './testing-connect.ts'
export type { TestEvent, TestStream, WaitOptions } from './testing-stream.ts'
