/**
 * The Lua scripts of a Redis storage's queue and schedule: one set for each
 * queue layout (a LIST, or a ZSET for priorities) that leases, releases,
 * lists and moves messages, and the scripts that enqueue with priorities,
 * renew leases and keep the schedule. Each script's header names its KEYS,
 * ARGV and return value.
 *
 * @module
 * @internal
 */
import { CALL_MANY, NOW, type Script, script, SEQUENCE_WIDTH } from "./_redis_scripts.ts";

// Queue layouts. Both define, over the table K of key names:
//   q_pop_many(K, n)  -> up to n elements from the head, and their leased values
//   Q_BODY            where the message starts in an element
//   q_requeue(K, v)   puts a leased value back where it was (at the head)
//   q_push(K, score, message) appends a message (score: -priority, as text)
//   q_size(K), q_range(K, stop), q_settle(K) (runs after every change)

/** Plain queue: a LIST (RPUSH at the tail, LPOP at the head); a lease keeps the message. */
const LIST_QUEUE = `
local Q_BODY = 1
local function q_push(K, score, message) redis.call('RPUSH', K.queue, message) end
local function q_pop_many(K, n)
  local messages = redis.call('LPOP', K.queue, n)
  if not messages then return {}, {} end
  return messages, messages
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
local Q_BODY = ${SEQUENCE_WIDTH + 1}
local function q_push(K, score, message)
  local member = string.format('%0${SEQUENCE_WIDTH}d', redis.call('INCR', K.sequence)) .. message
  redis.call('ZADD', K.queue, score, member)
end
local function q_pop_many(K, n)
  local popped = redis.call('ZPOPMIN', K.queue, n)
  local members, leased = {}, {}
  for i = 1, #popped, 2 do
    members[#members + 1] = popped[i]
    leased[#leased + 1] = popped[i + 1] .. '\\n' .. popped[i]
  end
  return members, leased
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
   *
   * With two more KEYS, values (HASH) and expiries (ZSET) of the key-value
   * store, and two more ARGV, the prefixes of a task's own and its task
   * name's revocation keys, it also reads the revocation keys of each
   * message that starts `{"id":"<id>","name":"<name>"` (both without
   * escapes), and each message is followed by what it read: 1 when neither
   * key is set, a pair of values (nil: not set) when one is, 0 when the
   * message did not start so (not read).
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
   * KEYS: as `lease`, then sequence, markers (ZSET marker -> expiry ms),
   * schedule, schedule priorities. ARGV: marker, ttl ms, then for each
   * message its eta ms ('' for none), score (-priority) and the message.
   * Forgets expired markers; unless the marker is set, sets it, enqueues the
   * messages without an eta in order and schedules the others. Returns 1
   * when it enqueued, else 0.
   */
  readonly enqueueOnce: Script;
}

/**
 * Lua: `schedule_push(schedule, sequence, priorities, eta, message, score)`
 * adds a message to the schedule, member sequence .. message, and records a
 * non-zero queue score (-priority).
 */
const SCHEDULE_PUSH = `
local function schedule_push(schedule, sequence, priorities, eta, message, score)
  local member = string.format('%0${SEQUENCE_WIDTH}d', redis.call('INCR', sequence)) .. message
  if score ~= '0' then redis.call('HSET', priorities, member, score) end
  return redis.call('ZADD', schedule, eta, member)
end
`;

function queueScripts(layout: string): QueueScripts {
  const prelude = NOW + CALL_MANY + layout + LEASES;
  return {
    lease: script(`${prelude}
local now = now_ms()
recover(now)
local lease, prefix, wanted = tonumber(ARGV[1]), ARGV[2], tonumber(ARGV[3])
local values, expiries, own_prefix, name_prefix = KEYS[5], KEYS[6], ARGV[4], ARGV[5]
local expiring = values and redis.call('ZCARD', expiries) > 0
-- A key put with a ttl that has passed reads as not set (as the store's own reads).
local function value_of(key, value)
  if not value or not expiring then return value end
  local deadline = redis.call('ZSCORE', expiries, key)
  if deadline and tonumber(deadline) <= now then return false end
  return value
end
local result = { -1 }
local messages, values_leased = q_pop_many(K, wanted)
-- The batch's leases go in one ZADD and one HSET, its revocation keys in one HMGET (a command per
-- message costs far more). reads[i]: where message i's two keys are in fields, 0 when not read.
local deadlines, leased, reads, fields = {}, {}, {}, {}
for i, message in ipairs(messages) do
  if lease > 0 then
    local receipt = prefix .. '.' .. i
    deadlines[#deadlines + 1] = now + lease
    deadlines[#deadlines + 1] = receipt
    leased[#leased + 1] = receipt
    leased[#leased + 1] = values_leased[i]
  end
  if values then
    local id, name = string.match(message, '^{"id":"([^"\\\\]*)","name":"([^"\\\\]*)"', Q_BODY)
    reads[i] = 0
    if id then
      reads[i] = #fields + 1
      fields[#fields + 1] = own_prefix .. id
      fields[#fields + 1] = name_prefix .. name
    end
  end
end
if #leased > 0 then
  call_many('ZADD', K.leases, deadlines)
  call_many('HSET', K.leased, leased)
end
local found = {}
for i = 1, #fields, 1000 do
  local part = redis.call('HMGET', values, unpack(fields, i, math.min(i + 999, #fields)))
  for j = 1, #part do found[i + j - 1] = part[j] end
end
for i, message in ipairs(messages) do
  result[#result + 1] = message
  if values then
    local at = reads[i]
    if at == 0 then
      result[#result + 1] = 0
    else
      local own, whole = value_of(fields[at], found[at]), value_of(fields[at + 1], found[at + 1])
      if not own and not whole then result[#result + 1] = 1 else result[#result + 1] = { own, whole } end
    end
  end
end
local taken = #messages
if taken < wanted then
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
    enqueueOnce: script(`${prelude}${SCHEDULE_PUSH}
local now = now_ms()
redis.call('ZREMRANGEBYSCORE', KEYS[6], '-inf', now)
if redis.call('ZSCORE', KEYS[6], ARGV[1]) then return 0 end
redis.call('ZADD', KEYS[6], now + tonumber(ARGV[2]), ARGV[1])
for i = 3, #ARGV, 3 do
  if ARGV[i] == '' then q_push(K, ARGV[i + 1], ARGV[i + 2])
  else schedule_push(KEYS[7], K.sequence, KEYS[8], ARGV[i], ARGV[i + 2], ARGV[i + 1]) end
end
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
export const SCHEDULE_ADD: Script = script(`${SCHEDULE_PUSH}
return schedule_push(KEYS[1], KEYS[2], KEYS[3], ARGV[1], ARGV[2], ARGV[3])
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
