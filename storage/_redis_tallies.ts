/**
 * The counters and member sets of the Redis storages: a counter is a string
 * key (`INCRBY`), a member set a SET (`SADD`), each under the queue's
 * prefix and hash tag, given its expiry (`PEXPIRE`) only when the script
 * creates it, so the window is fixed. Redis deletes them when they expire.
 * Also the removal of an `enqueueOnce` marker.
 *
 * @module
 * @internal
 */
import type { RedisConnection } from "./_redis_client.ts";
import { milliseconds, type RedisKeys } from "./_redis_layout.ts";
import { deleteKeys } from "./_redis_models.ts";
import { NOW, runScript, type Script, script } from "./_redis_scripts.ts";

/**
 * KEYS: the counter. ARGV: by, ttl ms (0: none). Adds `by`; a counter that
 * did not exist gets the ttl. Returns the new value.
 */
const INCR: Script = script(`
local created = redis.call('EXISTS', KEYS[1]) == 0
local value = redis.call('INCRBY', KEYS[1], ARGV[1])
if created and tonumber(ARGV[2]) > 0 then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return value
`);

/**
 * KEYS: the member set. ARGV: member, ttl ms (0: none). Adds the member; a
 * set that did not exist gets the ttl. Returns the set's size.
 */
const ADD_MEMBER: Script = script(`
local created = redis.call('EXISTS', KEYS[1]) == 0
redis.call('SADD', KEYS[1], ARGV[1])
if created and tonumber(ARGV[2]) > 0 then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return redis.call('SCARD', KEYS[1])
`);

/**
 * KEYS: markers (ZSET marker -> expiry ms). ARGV: marker. Removes it.
 * Returns 1 when it was set and had not expired, else 0.
 */
const DELETE_MARKER: Script = script(`${NOW}
local expiry = redis.call('ZSCORE', KEYS[1], ARGV[1])
if not expiry then return 0 end
redis.call('ZREM', KEYS[1], ARGV[1])
if tonumber(expiry) <= now_ms() then return 0 end
return 1
`);

/** A ttl in seconds (checked) as the scripts take it: whole ms, `0` for none. */
function ttlArgument(ttl: number | undefined): string {
  return ttl === undefined ? "0" : String(milliseconds(ttl));
}

/** Adds `by` (checked) to a counter; resolves to its new value. */
export async function incrCounter(
  connection: RedisConnection,
  keys: RedisKeys,
  key: string,
  by: number,
  ttl: number | undefined,
): Promise<number> {
  const args = [String(by), ttlArgument(ttl)];
  return Number(await runScript(connection, INCR, [keys.counters + key], args));
}

/** Adds a member (checked) to a set; resolves to the set's size. */
export async function addSetMember(
  connection: RedisConnection,
  keys: RedisKeys,
  key: string,
  member: string,
  ttl: number | undefined,
): Promise<number> {
  const args = [member, ttlArgument(ttl)];
  return Number(await runScript(connection, ADD_MEMBER, [keys.memberSets + key], args));
}

/** Removes a marker of `enqueueOnce`; `true` when it was set. */
export async function deleteMarker(
  connection: RedisConnection,
  keys: RedisKeys,
  marker: string,
): Promise<boolean> {
  return await runScript(connection, DELETE_MARKER, [keys.markers], [marker]) === 1;
}

/** Deletes every counter and member set of the queue. */
export async function flushTallies(connection: RedisConnection, keys: RedisKeys): Promise<void> {
  await deleteKeys(connection, keys.counters);
  await deleteKeys(connection, keys.memberSets);
}
