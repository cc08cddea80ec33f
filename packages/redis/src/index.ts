export type { RedisEngineClient, RedisEngineConnection } from './client.ts'
export type { RedisEngineOptions } from './options.ts'
export type { RedisEngine, RedisEngineHealth } from './redis-engine.ts'
export { createRedisEngine } from './redis-engine.ts'
