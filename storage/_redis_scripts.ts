/**
 * How the Redis storages lay out a queue's data: the key names, the encoding
 * of dead letters, and the Lua scripts. Every operation of more than one
 * step runs as one script, so it is atomic and takes one round trip. Each
 * script's header names its KEYS, ARGV and return value.
 *
 * Times in scripts are the Redis server's clock (`TIME`), so lease and ttl
 * deadlines do not depend on the clocks of the machines that run workers.
 *
 * @module
 * @internal
 */
import { createHash } from "node:crypto";
import type { DeadLetter } from "./base.ts";
import type { RedisArgument, RedisConnection, RedisReply } from "./_redis_client.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** The key names of one queue, all with the hash tag `{name}` (one Redis Cluster slot). */
export interface RedisKeys {
  /** The waiting messages: a LIST, or a ZSET for priorities. */
  readonly queue: string;
  /** ZSET receipt -> lease deadline (ms, Redis clock). */
  readonly leases: string;
  /** HASH receipt -> leased message. */
  readonly leased: string;
  /** LIST with one element while a priority queue has messages: blocking waits watch it. */
  readonly notify: string;
  /** ZSET of scheduled messages, score eta (ms). */
  readonly schedule: string;
  /** HASH scheduled member -> queue score (-priority), for the members with a priority only. */
  readonly schedulePriorities: string;
  /** ZSET of the markers of `enqueueOnce`, score expiry (ms). */
  readonly markers: string;
  /** Counter that orders messages and numbers dead letters. */
  readonly sequence: string;
  /** HASH key -> value. */
  readonly values: string;
  /** ZSET key -> expiry (ms) of keys put with a ttl. */
  readonly expiries: string;
  /** ZSET of dead letters, score = id. */
  readonly dead: string;
  /** Prefix of the result keys of the expire kinds. */
  readonly results: string;
}

/** The key names of queue `name`. */
export function redisKeys(name: string): RedisKeys {
  const prefix = `huey:{${name}}:`;
  const key = (suffix: string): string => prefix + suffix;
  return {
    queue: key("queue"),
    leases: key("leases"),
    leased: key("leased"),
    notify: key("notify"),
    schedule: key("schedule"),
    schedulePriorities: key("schedule-priorities"),
    markers: key("markers"),
    sequence: key("sequence"),
    values: key("kv"),
    expiries: key("kv-expiries"),
    dead: key("dead"),
    results: key("r:"),
  };
}

/** `at:reasonLength:reason` followed by the message. */
export function packDeadLetter(data: Uint8Array, reason: string): Uint8Array {
  const reasonBytes = encoder.encode(reason);
  const head = encoder.encode(`${Date.now()}:${reasonBytes.length}:`);
  const packed = new Uint8Array(head.length + reasonBytes.length + data.length);
  packed.set(head);
  packed.set(reasonBytes, head.length);
  packed.set(data, head.length + reasonBytes.length);
  return packed;
}

/** Reads `id:at:reasonLength:reason` followed by the message. */
export function unpackDeadLetter(member: Uint8Array): DeadLetter {
  const fields: string[] = [];
  let start = 0;
  while (fields.length < 3) {
    const colon = member.indexOf(58, start);
    fields.push(decoder.decode(member.subarray(start, colon)));
    start = colon + 1;
  }
  const [id, at, length] = fields;
  const end = start + Number(length);
  return {
    id,
    at: new Date(Number(at)),
    reason: decoder.decode(member.subarray(start, end)),
    data: member.slice(end),
  };
}

/** A Lua script and its SHA1, for `EVALSHA`. */
export interface Script {
  readonly source: string;
  readonly sha: string;
}

function script(source: string): Script {
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

const NOW = `
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
`;

// Queue layouts. Both define, over the table K of key names:
//   q_pop(K)          -> message, leased value  (nil when empty)
//   q_requeue(K, v)   puts a leased value back where it was (at the head)
//   q_push(K, score, message) appends a message (score: -priority, as text)
//   q_size(K), q_range(K, stop), q_settle(K) (runs after every change)

/** Plain queue: a LIST (RPUSH at the tail, LPOP at the head); a lease keeps the message. */
const LIST_QUEUE = `
local function q_push(K, score, message) redis.call('RPUSH', K.queue, message) end
local function q_pop(K)
  local message = redis.call('LPOP', K.queue)
  return message, message
end
local function q_requeue(K, value) redis.call('LPUSH', K.queue, value) end
local function q_size(K) return redis.call('LLEN', K.queue) end
local function q_range(K, stop) return redis.call('LRANGE', K.queue, 0, stop) end
local function q_settle(K) end
`;

/**
 * Priority queue: a ZSET, score -priority, member a 16-digit sequence number
 * followed by the message (FIFO within a priority). A lease keeps
 * "score\\nmember", so the message goes back to its exact place. The list
 * K.notify holds one element while the queue is not empty: blocking waits
 * watch it.
 */
const ZSET_QUEUE = `
local function q_push(K, score, message)
  local member = string.format('%0${SEQUENCE_WIDTH}d', redis.call('INCR', K.sequence)) .. message
  redis.call('ZADD', K.queue, score, member)
end
local function q_pop(K)
  local popped = redis.call('ZPOPMIN', K.queue)
  if #popped == 0 then return nil end
  return popped[1], popped[2] .. '\\n' .. popped[1]
end
local function q_requeue(K, value)
  local cut = string.find(value, '\\n', 1, true)
  redis.call('ZADD', K.queue, string.sub(value, 1, cut - 1), string.sub(value, cut + 1))
end
local function q_size(K) return redis.call('ZCARD', K.queue) end
local function q_range(K, stop) return redis.call('ZRANGE', K.queue, 0, stop) end
local function q_settle(K)
  if redis.call('ZCARD', K.queue) == 0 then
    redis.call('DEL', K.notify)
  elseif redis.call('EXISTS', K.notify) == 0 then
    redis.call('RPUSH', K.notify, '1')
  end
end
`;

const LEASES = `
local K = { queue = KEYS[1], leases = KEYS[2], leased = KEYS[3], notify = KEYS[4], sequence = KEYS[5] }
-- Puts every message whose lease has expired back at the head, earliest deadline first.
local function recover(now)
  local expired = redis.call('ZRANGEBYSCORE', K.leases, '-inf', now)
  if #expired == 0 then return end
  for i = #expired, 1, -1 do
    local value = redis.call('HGET', K.leased, expired[i])
    if value then q_requeue(K, value) end
    redis.call('HDEL', K.leased, expired[i])
  end
  redis.call('ZREMRANGEBYSCORE', K.leases, '-inf', now)
end
`;

/** The scripts that lease, release and list the messages of one queue layout. */
export interface QueueScripts {
  /**
   * KEYS: queue, leases (ZSET receipt -> deadline ms), leased (HASH receipt ->
   * value)[, notify]. ARGV: lease ms (0: no lease, the messages are deleted),
   * a receipt prefix unique to the call, how many messages are wanted.
   * Recovers expired leases, then pops up to that many messages and records
   * their leases under the receipts `<prefix>.1`, `<prefix>.2`, ... in order.
   * Returns the ms until
   * the next lease expires (-1: no lease; only computed when the queue ran
   * dry) followed by the messages.
   */
  readonly lease: Script;
  /**
   * KEYS: as `lease`. ARGV: receipt. Puts a leased message back at the head.
   * Returns 1, or 0 for an unknown receipt.
   */
  readonly release: Script;
  /**
   * KEYS: as `lease`. ARGV: -2 for the size, else how many items (-1: all).
   * Recovers expired leases first. Returns the size, or the items.
   */
  readonly view: Script;
  /**
   * KEYS: as `lease`, then sequence, schedule (ZSET), schedule priorities
   * (HASH member -> score). ARGV: now ms, limit. Moves up to `limit` members
   * with eta <= now, in eta order, to the queue with their priority, and
   * removes them from the schedule. Returns the messages moved.
   */
  readonly moveDue: Script;
  /**
   * KEYS: as `lease`, then sequence, markers (ZSET marker -> expiry ms).
   * ARGV: marker, ttl ms, then score (-priority), message, score, message,
   * ... Forgets expired markers; unless the marker is set, sets it and
   * enqueues the messages in order. Returns 1 when it enqueued, else 0.
   */
  readonly enqueueOnce: Script;
}

function queueScripts(layout: string): QueueScripts {
  const prelude = NOW + layout + LEASES;
  return {
    lease: script(`${prelude}
local now = now_ms()
recover(now)
local lease, prefix, wanted = tonumber(ARGV[1]), ARGV[2], tonumber(ARGV[3])
local result = { -1 }
for i = 1, wanted do
  local message, value = q_pop(K)
  if not message then break end
  if lease > 0 then
    local receipt = prefix .. '.' .. i
    redis.call('ZADD', K.leases, now + lease, receipt)
    redis.call('HSET', K.leased, receipt, value)
  end
  result[#result + 1] = message
end
if #result <= wanted then
  local first = redis.call('ZRANGE', K.leases, 0, 0, 'WITHSCORES')
  if #first > 0 then result[1] = math.max(0, tonumber(first[2]) - now) end
end
q_settle(K)
return result
`),
    release: script(`${prelude}
if redis.call('ZREM', K.leases, ARGV[1]) == 0 then return 0 end
local value = redis.call('HGET', K.leased, ARGV[1])
redis.call('HDEL', K.leased, ARGV[1])
if value then q_requeue(K, value) end
q_settle(K)
return 1
`),
    view: script(`${prelude}
recover(now_ms())
q_settle(K)
local limit = tonumber(ARGV[1])
if limit == -2 then return q_size(K) end
if limit == -1 then return q_range(K, -1) end
return q_range(K, limit - 1)
`),
    moveDue: script(`${prelude}
local due = redis.call('ZRANGEBYSCORE', KEYS[6], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[2]))
local prioritized = redis.call('HLEN', KEYS[7]) > 0
local moved = {}
for i, member in ipairs(due) do
  local score = '0'
  if prioritized then
    score = redis.call('HGET', KEYS[7], member) or '0'
    redis.call('HDEL', KEYS[7], member)
  end
  moved[i] = string.sub(member, ${SEQUENCE_WIDTH + 1})
  q_push(K, score, moved[i])
  redis.call('ZREM', KEYS[6], member)
end
q_settle(K)
return moved
`),
    enqueueOnce: script(`${prelude}
local now = now_ms()
redis.call('ZREMRANGEBYSCORE', KEYS[6], '-inf', now)
if redis.call('ZSCORE', KEYS[6], ARGV[1]) then return 0 end
redis.call('ZADD', KEYS[6], now + tonumber(ARGV[2]), ARGV[1])
for i = 3, #ARGV, 2 do q_push(K, ARGV[i], ARGV[i + 1]) end
q_settle(K)
return 1
`),
  };
}

/** Scripts of the plain (LIST) queue. */
export const LIST_SCRIPTS: QueueScripts = queueScripts(LIST_QUEUE);

/** Scripts of the priority (ZSET) queue. */
export const ZSET_SCRIPTS: QueueScripts = queueScripts(ZSET_QUEUE);

/**
 * KEYS: queue (ZSET), sequence (counter), notify (LIST).
 * ARGV: score (-priority), message, score, message, ...
 * Adds the messages in order, member sequence .. message.
 * Returns how many were added.
 */
export const ZSET_ENQUEUE: Script = script(`
local count = #ARGV / 2
local last = redis.call('INCRBY', KEYS[2], count)
for i = 1, count do
  local member = string.format('%0${SEQUENCE_WIDTH}d', last - count + i) .. ARGV[2 * i]
  redis.call('ZADD', KEYS[1], ARGV[2 * i - 1], member)
end
if count > 0 and redis.call('EXISTS', KEYS[3]) == 0 then redis.call('RPUSH', KEYS[3], '1') end
return count
`);

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
 * The script that finishes tasks, around a result layout that defines
 * `delete(key)` and `store(key, value)`. KEYS[1] leases, KEYS[2] leased.
 * ARGV[1]: the result ttl ms; ARGV[2]: one record per task, packed by
 * {@linkcode packFields}: receipt ('' for none), how many keys to delete,
 * those keys, then '1' followed by a result key and value, or '0'. For each
 * record: deletes, stores, then ends the lease. Returns how many records.
 */
function finishScript(layout: string): Script {
  return script(`${layout}${READ_PACKED}
local field, count = reader(ARGV[2]), 0
while true do
  local receipt = field()
  if receipt == nil then break end
  local deletes = tonumber(field())
  for _ = 1, deletes do delete(field()) end
  if field() == '1' then
    local key = field()
    store(key, field())
  end
  if receipt ~= '' then
    redis.call('HDEL', KEYS[2], receipt)
    redis.call('ZREM', KEYS[1], receipt)
  end
  count = count + 1
end
return count
`);
}

/**
 * {@linkcode finishScript} for keys in a HASH: KEYS[3] values (HASH), KEYS[4]
 * expiries (ZSET); the ttl is unused.
 */
export const FINISH_HASH: Script = finishScript(`
-- Keys with a ttl are rare (locks): skip their bookkeeping when there are none.
local expiring = redis.call('ZCARD', KEYS[4]) > 0
local function delete(key)
  redis.call('HDEL', KEYS[3], key)
  if expiring then redis.call('ZREM', KEYS[4], key) end
end
local function store(key, value)
  redis.call('HSET', KEYS[3], key, value)
  if expiring then redis.call('ZREM', KEYS[4], key) end
end
`);

/**
 * {@linkcode finishScript} for string keys (the expire kinds): the record's
 * keys are full key names, also given as KEYS[3...]; results get the ttl.
 */
export const FINISH_EXPIRING: Script = finishScript(`
local function delete(key) redis.call('DEL', key) end
local function store(key, value) redis.call('SET', key, value, 'PX', ARGV[1]) end
`);

/**
 * KEYS: leases. ARGV: lease ms, receipt, receipt, ... Sets each known
 * lease's deadline to now + lease. Returns how many were renewed.
 */
export const RENEW: Script = script(`${NOW}
local deadline = now_ms() + tonumber(ARGV[1])
local renewed = 0
for i = 2, #ARGV do
  renewed = renewed + redis.call('ZADD', KEYS[1], 'XX', 'CH', deadline, ARGV[i])
end
return renewed
`);

/**
 * KEYS: schedule (ZSET), sequence, schedule priorities (HASH). ARGV: eta ms,
 * message, queue score (-priority, '0' for none). Adds the message, score
 * eta, member sequence .. message, and records a non-zero score. Returns 1.
 */
export const SCHEDULE_ADD: Script = script(`
local member = string.format('%0${SEQUENCE_WIDTH}d', redis.call('INCR', KEYS[2])) .. ARGV[2]
if ARGV[3] ~= '0' then redis.call('HSET', KEYS[3], member, ARGV[3]) end
return redis.call('ZADD', KEYS[1], ARGV[1], member)
`);

/**
 * KEYS: schedule, schedule priorities. ARGV: now ms. Removes and returns the
 * members with eta <= now, in eta order (and forgets their priorities).
 */
export const SCHEDULE_POP: Script = script(`
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
if #due > 0 then redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1]) end
if redis.call('HLEN', KEYS[2]) > 0 then
  for _, member in ipairs(due) do redis.call('HDEL', KEYS[2], member) end
end
return due
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

/** KEYS: values, expiries. ARGV: key, value. Stores the value without expiry. Returns 1. */
export const KV_PUT: Script = script(`
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('ZREM', KEYS[2], ARGV[1])
return 1
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

/**
 * KEYS: dead letters (ZSET, score = id), sequence, leases (ZSET), leased
 * (HASH). ARGV: the dead letter ("at:reason length:reason" .. message), the
 * receipt of the leased message it came from ('' for none). Adds it under a
 * new id and acknowledges the message, in one step. Returns the id.
 */
export const DEAD_ADD: Script = script(`
local id = redis.call('INCR', KEYS[2])
redis.call('ZADD', KEYS[1], id, id .. ':' .. ARGV[1])
if ARGV[2] ~= '' then
  redis.call('HDEL', KEYS[4], ARGV[2])
  redis.call('ZREM', KEYS[3], ARGV[2])
end
return id
`);

/** KEYS: dead letters. ARGV: id. Removes and returns the dead letter, or nil. */
export const DEAD_TAKE: Script = script(`
local found = redis.call('ZRANGEBYSCORE', KEYS[1], ARGV[1], ARGV[1])
if #found == 0 then return nil end
redis.call('ZREMRANGEBYSCORE', KEYS[1], ARGV[1], ARGV[1])
return found[1]
`);

/** KEYS: dead letters. Removes every dead letter. Returns how many there were. */
export const DEAD_FLUSH: Script = script(`
local count = redis.call('ZCARD', KEYS[1])
redis.call('DEL', KEYS[1])
return count
`);
