/**
 * The counters and member sets of the Redis storages: a counter is a string
 * key (`INCRBY`), a member set a SET (`SADD`), each under the queue's
 * prefix and hash tag, given its expiry (`PEXPIRE`) only when the script
 * creates it, so the window is fixed. Redis deletes them when they expire.
 * Also the removal of an `enqueueOnce` marker. The caller's arguments are
 * checked here, with the words every backend uses (`_tally.ts`).
 *
 * @module
 * @internal
 */
import type { TallyOptions } from "./base.ts";
import type { RedisConnection } from "./_redis_client.ts";
import { milliseconds, type RedisKeys } from "./_redis_layout.ts";
import { deleteKeys } from "./_redis_models.ts";
import { NOW, runScript, type Script, script } from "./_redis_scripts.ts";
import type { RedisSession } from "./_redis_session.ts";
import { checkIncrement, checkMember, checkTallyTtl } from "./_tally.ts";

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

/** The counters, member sets and `enqueueOnce` markers of one queue. */
export class RedisTallies {
  #session: RedisSession;
  #keys: RedisKeys;

  /**
   * @param session Gives the connection, opened on first use.
   * @param keys The queue's key names.
   */
  constructor(session: RedisSession, keys: RedisKeys) {
    this.#session = session;
    this.#keys = keys;
  }

  #connection(): Promise<RedisConnection> {
    return this.#session.connection();
  }

  /** Removes a marker of `enqueueOnce`, in one script; `true` when it was set. */
  async deleteMarker(marker: string): Promise<boolean> {
    const connection = await this.#connection();
    return await runScript(connection, DELETE_MARKER, [this.#keys.markers], [marker]) === 1;
  }

  /**
   * Adds `by` to a counter (created with `ttl`), in one script.
   *
   * @returns Its new value.
   * @throws {ConfigurationError} `by` is not a safe integer, or `ttl` not a number `> 0`.
   */
  async incr(
    key: string,
    by: number | undefined,
    options: TallyOptions | undefined,
  ): Promise<number> {
    const args = [String(checkIncrement(by)), ttlArgument(checkTallyTtl(options))];
    const connection = await this.#connection();
    return Number(await runScript(connection, INCR, [this.#keys.counters + key], args));
  }

  /** Removes a counter; `true` when there was one. */
  async deleteCounter(key: string): Promise<boolean> {
    return await (await this.#connection()).del([this.#keys.counters + key]) > 0;
  }

  /**
   * Adds a member to a set (created with `ttl`), in one script.
   *
   * @returns The set's size.
   * @throws {ConfigurationError} `member` is not a non-empty string, or `ttl` not a number `> 0`.
   */
  async addMember(key: string, member: string, options: TallyOptions | undefined): Promise<number> {
    const args = [checkMember(member), ttlArgument(checkTallyTtl(options))];
    const connection = await this.#connection();
    return Number(await runScript(connection, ADD_MEMBER, [this.#keys.memberSets + key], args));
  }

  /** Removes a member set; `true` when there was one. */
  async deleteMembers(key: string): Promise<boolean> {
    return await (await this.#connection()).del([this.#keys.memberSets + key]) > 0;
  }

  /** Deletes every counter and member set of the queue. */
  async flush(): Promise<void> {
    const connection = await this.#connection();
    await deleteKeys(connection, this.#keys.counters);
    await deleteKeys(connection, this.#keys.memberSets);
  }
}
