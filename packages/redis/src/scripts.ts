// The Lua scripts the engine runs. Each is atomic in Redis, so a publish lands in the log and in
// every history at once, and a replay reads all its streams, their watermarks and the log's tip
// as one snapshot. Sent with EVALSHA, falling back to EVAL when Redis does not know them yet (a
// new server, or one restarted).
import { createHash } from 'node:crypto'
import type { RedisEngineClient } from './client.ts'

// Compares two stream ids `ms-seq` as numbers, without Lua's doubles losing digits: by length,
// then as text.
const COMPARE = `
local function cmp(a, b)
  local am, as = string.match(a, '^(%d+)-(%d+)$')
  local bm, bs = string.match(b, '^(%d+)-(%d+)$')
  if #am ~= #bm then return #am - #bm end
  if am ~= bm then return am < bm and -1 or 1 end
  if #as ~= #bs then return #as - #bs end
  if as ~= bs then return as < bs and -1 or 1 end
  return 0
end
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
-- The newest id of stream k older than the age cutoff, or the stored watermark if newer: what
-- its history no longer reaches back to.
-- With an age limit, a history expires maxAgeMs after its last event: its newest id (kept under
-- the field k .. LF; topics hold no control characters) is then what it no longer reaches back to.
local function watermark(trimmed, k, cutoff)
  local wm = redis.call('HGET', trimmed, k) or ''
  if cutoff ~= '' then
    local old = redis.call('XREVRANGE', k, '(' .. cutoff, '-', 'COUNT', 1)
    if #old > 0 and (wm == '' or cmp(old[1][1], wm) > 0) then wm = old[1][1] end
    if redis.call('EXISTS', k) == 0 then
      local newest = redis.call('HGET', trimmed, k .. '\\n')
      if newest and (wm == '' or cmp(newest, wm) > 0) then wm = newest end
    end
  end
  return wm
end
`

/**
 * Reads the epoch (`<epoch> <start>`, start being the log position it began at), creating it
 * from ARGV[1] when missing. Returns it with the log's tip ('' when empty) and Redis's clock.
 * KEYS: epoch, log.
 */
export const EPOCH_SCRIPT = `
local e = redis.call('GET', KEYS[1])
local last = redis.call('XREVRANGE', KEYS[2], '+', '-', 'COUNT', 1)
local tip = ''
if #last > 0 then tip = last[1][1] end
if not e then
  e = ARGV[1] .. ' ' .. (tip == '' and '0-0' or tip)
  redis.call('SET', KEYS[1], e)
end
local t = redis.call('TIME')
return {e, tip, t[1], t[2]}
`

/**
 * Publishes one event; returns its stream id. Refuses (error reply) when the epoch is not
 * ARGV[1] (`HERALD_EPOCH`) or Redis's clock is past the deadline ARGV[2] (`HERALD_DEADLINE`), so
 * an emit that its caller gave up on is never stored. Then XADDs the log, numbering its entries
 * from the counter KEYS[4] (so a reader can tell that entries it never read were trimmed), and
 * each history (KEYS[5…]) with the same id, keeping ARGV[3] entries (exact) and recording in the hash
 * KEYS[3] the newest id each history dropped. With an age limit, each history also expires that
 * long after its last event, and its newest id is kept, so a topic that goes quiet leaves no
 * stream behind, only two hash fields.
 * KEYS: epoch, log, trimmed, counter, histories… ARGV: epoch, deadline ms, history size, log size,
 * max age ms ('' for none), name, data, topics ('' for a broadcast).
 */
export const PUBLISH_SCRIPT = `${COMPARE}
local e = redis.call('GET', KEYS[1])
if not e or string.match(e, '^(%w+)') ~= ARGV[1] then return redis.error_reply('HERALD_EPOCH') end
local now = now_ms()
if now > tonumber(ARGV[2]) then return redis.error_reply('HERALD_DEADLINE') end
local size = tonumber(ARGV[3])
local q = redis.call('INCR', KEYS[4])
local id = redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[4], '*', 'n', ARGV[6], 'd', ARGV[7], 't', ARGV[8], 'e', ARGV[1], 'q', q)
local cutoff = ''
if ARGV[5] ~= '' then cutoff = tostring(now - tonumber(ARGV[5])) .. '-0' end
for i = 5, #KEYS do
  local k = KEYS[i]
  if size == 0 then
    redis.call('HSET', KEYS[3], k, id)
  else
    local n = redis.call('XLEN', k)
    if n >= size then
      local old = redis.call('XRANGE', k, '-', '+', 'COUNT', n - size + 1)
      redis.call('HSET', KEYS[3], k, old[#old][1])
    end
    if ARGV[8] == '' then
      redis.call('XADD', k, 'MAXLEN', size, id, 'n', ARGV[6], 'd', ARGV[7])
    else
      redis.call('XADD', k, 'MAXLEN', size, id, 'n', ARGV[6], 'd', ARGV[7], 't', ARGV[8])
    end
    if cutoff ~= '' then
      local wm = watermark(KEYS[3], k, cutoff)
      if wm ~= '' then
        redis.call('HSET', KEYS[3], k, wm)
        redis.call('XTRIM', k, 'MINID', cutoff)
      end
      -- A topic no longer published to goes away with its events, its newest id kept.
      redis.call('HSET', KEYS[3], k .. '\\n', id)
      redis.call('PEXPIRE', k, ARGV[5])
    end
  end
end
return id
`

/**
 * Reads a replay as one snapshot: the epoch, the log's tip, then for each history (KEYS[3…])
 * whether it no longer reaches back to ARGV[1] (1, with no entries: never a partial replay) or
 * its entries after ARGV[1] (0, entries).
 * KEYS: epoch, log, trimmed, histories… ARGV: position, max age ms ('' for none).
 */
export const REPLAY_SCRIPT = `${COMPARE}
local e = redis.call('GET', KEYS[1]) or ''
local last = redis.call('XREVRANGE', KEYS[2], '+', '-', 'COUNT', 1)
local tip = ''
if #last > 0 then tip = last[1][1] end
local cutoff = ''
if ARGV[2] ~= '' then cutoff = tostring(now_ms() - tonumber(ARGV[2])) .. '-0' end
local out = {e, tip}
for i = 4, #KEYS do
  local wm = watermark(KEYS[3], KEYS[i], cutoff)
  if wm ~= '' and cmp(wm, ARGV[1]) > 0 then
    out[#out + 1] = 1
    out[#out + 1] = {}
  else
    out[#out + 1] = 0
    out[#out + 1] = redis.call('XRANGE', KEYS[i], '(' .. ARGV[1], '+')
  end
end
return out
`

/** Runs a script by its SHA1, sending its source once when Redis answers NOSCRIPT. */
export function runScript(
  client: RedisEngineClient,
  source: string,
  keys: readonly string[],
  args: readonly string[],
): Promise<unknown> {
  const sha = shaOf(source)
  const tail = [String(keys.length), ...keys, ...args]
  return client.sendCommand(['EVALSHA', sha, ...tail]).catch((error: unknown) => {
    if (!String((error as Error | undefined)?.message).startsWith('NOSCRIPT')) throw error
    return client.sendCommand(['EVAL', source, ...tail])
  })
}

const shas = new Map<string, string>()
function shaOf(source: string): string {
  let sha = shas.get(source)
  if (sha === undefined) {
    sha = createHash('sha1').update(source).digest('hex')
    shas.set(source, sha)
  }
  return sha
}
