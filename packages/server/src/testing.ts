// `@herald/server/testing`: what an engine package needs to prove itself. Runs under vitest
// (an optional peer dependency), so nothing here is imported by the rest of the server.
export type { AnyEngine, EngineConformanceOptions, EngineFactory } from './engine-conformance.ts'
export { describeEngineConformance } from './engine-conformance.ts'
