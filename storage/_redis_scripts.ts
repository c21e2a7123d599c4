/**
 * The Lua scripts of the Redis storages' key/value store and completions,
 * and how every script runs (`runScript`, by SHA1). Every operation
 * of more than one step runs as one script, so it is atomic and takes one
 * round trip. Each script's header names its KEYS, ARGV and return value.
 * The queue's scripts are in `_redis_queue_scripts.ts`, those of the dead
 * letters in `_redis_dead.ts`, of the counters and member sets in `_redis_tallies.ts`.
 *
 * Times in scripts are the Redis server's clock (`TIME`), so lease and ttl
 * deadlines do not depend on the clocks of the machines that run workers.
 *
 * @module
 * @internal
 */
import { createHash } from "node:crypto";
import type { RedisArgument, RedisConnection, RedisReply } from "./_redis_client.ts";

const encoder = new TextEncoder();

/** A Lua script and its SHA1, for `EVALSHA`. */
export interface Script {
  /** The Lua source. */
  readonly source: string;
  /** Its SHA1, in hex. */
  readonly sha: string;
}

/** A script of `source`, with its SHA1. */
export function script(source: string): Script {
  return { source, sha: createHash("sha1").update(source).digest("hex") };
}

/**
 * Runs a script by its SHA1, and sends its source when the server does not
 * have it (first use, or after a Redis restart emptied the script cache).
 */
export async function runScript(
  connection: RedisConnection,
  { sha, source }: Script,
  keys: readonly string[],
  args: readonly RedisArgument[] = [],
): Promise<RedisReply> {
  try {
    return await connection.evalsha(sha, keys, args);
  } catch (error) {
    if (!(error instanceof Error) || !error.message.startsWith("NOSCRIPT")) throw error;
    return await connection.eval(source, keys, args);
  }
}

/** Width of the sequence prefix of sorted-set members (FIFO among equal scores). */
export const SEQUENCE_WIDTH = 16;

/** Lua: `now_ms()`, the Redis server's clock in ms. */
export const NOW = `
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
`;

/**
 * Packs strings and bytes into one argument: each a 4-byte big-endian
 * length, then its bytes (UTF-8 for strings). One argument for a whole batch
 * costs the client far less than one per field. {@linkcode READ_PACKED}
 * reads them back in a script.
 */
export function packFields(fields: readonly RedisArgument[]): Uint8Array {
  let bound = 0;
  for (const field of fields) {
    bound += 4 + (typeof field === "string" ? field.length * 3 : field.length);
  }
  const packed = new Uint8Array(bound);
  const view = new DataView(packed.buffer);
  let at = 0;
  for (const field of fields) {
    let length: number;
    if (typeof field === "string") {
      length = encoder.encodeInto(field, packed.subarray(at + 4)).written;
    } else {
      packed.set(field, at + 4);
      length = field.length;
    }
    view.setUint32(at, length);
    at += 4 + length;
  }
  return packed.subarray(0, at);
}

/** Lua: `reader(packed)` returns a function that gives the next field of {@linkcode packFields}, or nil. */
const READ_PACKED = `
local function reader(packed)
  local at = 1
  return function()
    if at > #packed then return nil end
    local a, b, c, d = string.byte(packed, at, at + 3)
    local length = ((a * 256 + b) * 256 + c) * 256 + d
    local value = string.sub(packed, at + 4, at + 3 + length)
    at = at + 4 + length
    return value
  end
end
`;

/**
 * Lua: `call_many(command, key, list)` runs `command key e1 e2 ...` over the
 * elements of `list`, at most 1000 a call (`unpack` takes a few thousand at
 * most; an even size keeps pairs whole): one command for a batch costs Redis
 * far less than one per element.
 */
export const CALL_MANY = `
local function call_many(command, key, list)
  for i = 1, #list, 1000 do
    redis.call(command, key, unpack(list, i, math.min(i + 999, #list)))
  end
end
`;

/**
 * Lua: `notify(key, ttl)` makes the LIST `key` hold one element for `ttl` ms:
 * the waiters of a result (`notifyResult`) wake when it has one.
 */
const NOTIFY = `
local function notify(key, ttl)
  if redis.call('EXISTS', key) == 0 then redis.call('RPUSH', key, '1') end
  redis.call('PEXPIRE', key, ttl)
end
`;

/**
 * Lua: `append_events(log, counter, sizes, lines, added, keep)` appends
 * `added` events, the lines of `lines`, to the STREAM `log` as one entry,
 * fields `n` (how many) and `d` (the lines, as given: no copy per event).
 * `counter` holds how many events the log holds, the LIST `sizes` how many
 * each entry holds, oldest first (so the payloads of old entries are never
 * read); when they do not match the log (`flushAll` deletes them, or one
 * was lost) they are counted again. Once the log holds more than `keep` and
 * a tenth of it (approximate trimming: most appends are an XADD, an INCRBY
 * and an RPUSH), whole oldest entries are dropped while the others still
 * hold `keep` events: the log keeps at least `keep` events (once that many
 * were added) and at most a tenth more, or, when its oldest entry holds
 * more than a tenth, fewer than `keep` plus the events of that entry.
 */
const APPEND_EVENTS = `
local function count_again(log, sizes)
  local count = 0
  redis.call('DEL', sizes)
  for _, entry in ipairs(redis.call('XRANGE', log, '-', '+')) do
    redis.call('RPUSH', sizes, entry[2][2])
    count = count + tonumber(entry[2][2])
  end
  return count
end

local function append_events(log, counter, sizes, lines, added, keep)
  local old = redis.call('XLEN', log)
  local count = redis.call('INCRBY', counter, added)
  redis.call('XADD', log, '*', 'n', added, 'd', lines)
  local lost = (count == added and old > 0) or redis.call('LLEN', sizes) ~= old
  if lost then count = count_again(log, sizes) else redis.call('RPUSH', sizes, added) end
  if count <= keep + math.floor(keep / 10) then
    if lost then redis.call('SET', counter, count) end
    return
  end
  local dropped, page, needed = 0, 2, false
  while count > keep and dropped < old and not needed do
    for _, size in ipairs(redis.call('LRANGE', sizes, dropped, math.min(dropped + page, old) - 1)) do
      needed = count - tonumber(size) < keep
      if needed then break end
      count, dropped = count - tonumber(size), dropped + 1
    end
    page = page * 2
  end
  -- Only events of this call are left: the count is theirs, whatever it was.
  if dropped == old then count = added end
  if dropped > 0 then
    redis.call('LTRIM', sizes, dropped, -1)
    redis.call('XTRIM', log, 'MAXLEN', old + 1 - dropped)
  end
  redis.call('SET', counter, count)
end
`;

/**
 * The script that completes deliveries (`finish`, `ack`) and appends events
 * (`addEvents`, `finish`'s events), around a result layout that defines
 * `delete_many(keys)` and `store_many(pairs)` (key, value, key, value, ...).
 * KEYS[1] leases, KEYS[2] leased, KEYS[3] the event log (STREAM), KEYS[4]
 * its event count, KEYS[5] its entries' sizes (LIST).
 * ARGV[1]: the result ttl ms; ARGV[2]: one record per task, packed by
 * {@linkcode packFields}: receipt ('' for none), how many keys to delete,
 * those keys, then '1' followed by a result key, its value and its
 * notification key ('' for none), or '0'; ARGV[3]: the notification ttl
 * ms; ARGV[4]: the events of every record as lines, only the newest the
 * cap keeps; ARGV[5]: how many; ARGV[6]: how many the log keeps after them
 * (as if each record had been appended and capped in turn).
 * For each record in turn: deletes, stores (and notifies); then ends the
 * leases of them all.
 * Then appends the events of every record, in order, as one stream entry,
 * and drops the oldest beyond the caps, as if each record had been
 * appended and capped in turn: the log keeps the newest
 * min over records r of (r's max length + the events of the records after r).
 * Returns how many records.
 */
function completeScript(layout: string): Script {
  return script(`${CALL_MANY}${layout}${READ_PACKED}${NOTIFY}${APPEND_EVENTS}
local field, count, ended = reader(ARGV[2]), 0, {}
-- The records' deletes and stores are gathered and applied together (deletes, then stores, then
-- notifications); a delete of a key stored earlier in the batch applies what was gathered first,
-- so every key ends as the records, in turn, would leave it.
local deleted, stored, waiting, holds = {}, {}, {}, {}
local function apply()
  if #deleted > 0 then delete_many(deleted) end
  if #stored > 0 then store_many(stored) end
  for _, waiters in ipairs(waiting) do notify(waiters, ARGV[3]) end
  deleted, stored, waiting, holds = {}, {}, {}, {}
end
while true do
  local receipt = field()
  if receipt == nil then break end
  for _ = 1, tonumber(field()) do
    local key = field()
    if holds[key] then apply() end
    deleted[#deleted + 1] = key
  end
  if field() == '1' then
    local key = field()
    stored[#stored + 1] = key
    stored[#stored + 1] = field()
    holds[key] = true
    local waiters = field()
    if waiters ~= '' then waiting[#waiting + 1] = waiters end
  end
  if receipt ~= '' then ended[#ended + 1] = receipt end
  count = count + 1
end
apply()
-- The leases end together.
if #ended > 0 then
  call_many('HDEL', KEYS[2], ended)
  call_many('ZREM', KEYS[1], ended)
end
local added = tonumber(ARGV[5])
if added > 0 then append_events(KEYS[3], KEYS[4], KEYS[5], ARGV[4], added, tonumber(ARGV[6])) end
return count
`);
}

/**
 * {@linkcode completeScript} for keys in a HASH: KEYS[6] values (HASH), KEYS[7]
 * expiries (ZSET), then the notification keys; the ttl is unused.
 */
export const COMPLETE_HASH: Script = completeScript(`
-- Keys with a ttl are rare (locks): skip their bookkeeping when there are none.
local expiring = redis.call('ZCARD', KEYS[7]) > 0
local function delete_many(keys)
  call_many('HDEL', KEYS[6], keys)
  if expiring then call_many('ZREM', KEYS[7], keys) end
end
local function store_many(pairs)
  call_many('HSET', KEYS[6], pairs)
  if expiring then
    for i = 1, #pairs, 2 do redis.call('ZREM', KEYS[7], pairs[i]) end
  end
end
`);

/**
 * {@linkcode completeScript} for string keys (the expire kinds): the record's
 * keys are full key names, also given as KEYS[6...] (the notification keys
 * too); results get the ttl.
 */
export const COMPLETE_EXPIRING: Script = completeScript(`
local function delete_many(keys)
  for i = 1, #keys, 1000 do redis.call('DEL', unpack(keys, i, math.min(i + 999, #keys))) end
end
local function store_many(pairs)
  for i = 1, #pairs, 2 do redis.call('SET', pairs[i], pairs[i + 1], 'PX', ARGV[1]) end
end
`);

const KV = `${NOW}
local now = now_ms()
-- KEYS[1] is the HASH key -> value, KEYS[2] the ZSET key -> expiry (ms) of keys put with a ttl.
local function forget_if_expired(key)
  local deadline = redis.call('ZSCORE', KEYS[2], key)
  if deadline and tonumber(deadline) <= now then
    redis.call('HDEL', KEYS[1], key)
    redis.call('ZREM', KEYS[2], key)
  end
end
local function forget_expired()
  local expired = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now)
  for _, key in ipairs(expired) do redis.call('HDEL', KEYS[1], key) end
  if #expired > 0 then redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now) end
end
`;

/**
 * KEYS: values (HASH), expiries (ZSET). ARGV: mode (peek, pop, has or
 * delete), key. Returns the value or nil (peek, pop), or 1/0 (has, delete).
 */
export const KV_READ: Script = script(`${KV}
local mode, key = ARGV[1], ARGV[2]
forget_if_expired(key)
if mode == 'has' then return redis.call('HEXISTS', KEYS[1], key) end
if mode == 'delete' then
  redis.call('ZREM', KEYS[2], key)
  return redis.call('HDEL', KEYS[1], key)
end
local value = redis.call('HGET', KEYS[1], key)
if mode == 'pop' and value then
  redis.call('HDEL', KEYS[1], key)
  redis.call('ZREM', KEYS[2], key)
end
return value
`);

/**
 * KEYS: values (HASH), expiries (ZSET). ARGV[1]: the keys, packed by
 * {@linkcode packFields} (at least one). Reads each key's live value.
 * Returns only the keys that have one: their 1-based positions, each
 * followed by its value (most keys read are revocation keys, mostly absent).
 */
export const KV_PEEK_MANY: Script = script(`${KV}${READ_PACKED}
local keys, field = {}, reader(ARGV[1])
for key in field do keys[#keys + 1] = key end
if redis.call('ZCARD', KEYS[2]) > 0 then
  for _, key in ipairs(keys) do forget_if_expired(key) end
end
local values, found = redis.call('HMGET', KEYS[1], unpack(keys)), {}
for i = 1, #keys do
  if values[i] then
    found[#found + 1] = i
    found[#found + 1] = values[i]
  end
end
return found
`);

/**
 * KEYS: values, expiries[, notification]. ARGV: key, value[, notification
 * ttl ms]. Stores the value without expiry (and notifies its waiters).
 * Returns 1.
 */
export const KV_PUT: Script = script(`${NOTIFY}
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('ZREM', KEYS[2], ARGV[1])
if KEYS[3] then notify(KEYS[3], ARGV[3]) end
return 1
`);

/**
 * KEYS: a string key, its notification. ARGV: value, ttl ms, notification
 * ttl ms. Stores the value for the ttl and notifies its waiters. Returns 1.
 */
export const SET_NOTIFY: Script = script(`${NOTIFY}
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
notify(KEYS[2], ARGV[3])
return 1
`);

/**
 * KEYS: values, expiries, notification. ARGV: key. Whether the key holds a
 * live value; when not, deletes the notification (it announced a value
 * since taken), so that the next wait blocks. Returns 1 or 0.
 */
export const KV_READY: Script = script(`${KV}
forget_if_expired(ARGV[1])
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 1 then return 1 end
redis.call('DEL', KEYS[3])
return 0
`);

/**
 * KEYS: a string key, its notification. Whether the key exists; when not,
 * deletes the notification, as {@linkcode KV_READY}. Returns 1 or 0.
 */
export const KEY_READY: Script = script(`
if redis.call('EXISTS', KEYS[1]) == 1 then return 1 end
redis.call('DEL', KEYS[2])
return 0
`);

/**
 * KEYS: values, expiries. ARGV: key, value, ttl ms (0: none). Stores the
 * value if the key is absent (or expired). Returns 1 when it did, else 0.
 */
export const KV_PUT_IF_EMPTY: Script = script(`${KV}
forget_if_expired(ARGV[1])
if redis.call('HSETNX', KEYS[1], ARGV[1], ARGV[2]) == 0 then return 0 end
local ttl = tonumber(ARGV[3])
if ttl > 0 then redis.call('ZADD', KEYS[2], now + ttl, ARGV[1]) end
return 1
`);

/**
 * KEYS: values, expiries. ARGV: key, value. Removes the key only while it
 * holds exactly the value (and has not expired). Returns 1 when it did, else 0.
 */
export const KV_DELETE_IF_EQUALS: Script = script(`${KV}
forget_if_expired(ARGV[1])
if redis.call('HGET', KEYS[1], ARGV[1]) ~= ARGV[2] then return 0 end
redis.call('ZREM', KEYS[2], ARGV[1])
return redis.call('HDEL', KEYS[1], ARGV[1])
`);

/**
 * KEYS: a string key. ARGV: value. Deletes the key only while it holds
 * exactly the value. Returns 1 when it did, else 0.
 */
export const DELETE_IF_EQUALS: Script = script(`
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
return redis.call('DEL', KEYS[1])
`);

/**
 * KEYS: values, expiries. ARGV: 'size' or 'items'. Forgets expired keys,
 * then returns the count, or key, value, key, value, ...
 */
export const KV_ALL: Script = script(`${KV}
forget_expired()
if ARGV[1] == 'size' then return redis.call('HLEN', KEYS[1]) end
return redis.call('HGETALL', KEYS[1])
`);
