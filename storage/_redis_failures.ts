/**
 * The failure records of the Redis storages: a sorted set of task ids
 * scored by the queue's sequence (newest highest) and a hash of the records
 * by task id, both under the queue's hash tag. Each operation is one script.
 *
 * @module
 * @internal
 */
import type { RedisConnection } from "./_redis_client.ts";
import type { RedisKeys } from "./_redis_layout.ts";
import { runScript, type Script, script } from "./_redis_scripts.ts";
import type { RedisSession } from "./_redis_session.ts";
import { checkLimit, checkMaxLength } from "./_check.ts";

/**
 * KEYS: ids (ZSET), records (HASH), sequence. ARGV: id, record, max length.
 * Records the failure as the newest (replacing one of the same id), then
 * drops the oldest beyond the max length.
 */
const FAILURE_ADD: Script = script(`
redis.call('ZADD', KEYS[1], redis.call('INCR', KEYS[3]), ARGV[1])
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
local excess = redis.call('ZCARD', KEYS[1]) - tonumber(ARGV[3])
if excess > 0 then
  for _, id in ipairs(redis.call('ZRANGE', KEYS[1], 0, excess - 1)) do
    redis.call('HDEL', KEYS[2], id)
  end
  redis.call('ZREMRANGEBYRANK', KEYS[1], 0, excess - 1)
end
`);

/** KEYS: ids, records. ARGV: the last index wanted (-1: all). Returns the records, newest first. */
const FAILURE_LIST: Script = script(`
local records = {}
for _, id in ipairs(redis.call('ZREVRANGE', KEYS[1], 0, tonumber(ARGV[1]))) do
  records[#records + 1] = redis.call('HGET', KEYS[2], id)
end
return records
`);

/** KEYS: ids, records. ARGV: id. Removes and returns the record of the id, or nil. */
const FAILURE_TAKE: Script = script(`
local record = redis.call('HGET', KEYS[2], ARGV[1])
if not record then return nil end
redis.call('HDEL', KEYS[2], ARGV[1])
redis.call('ZREM', KEYS[1], ARGV[1])
return record
`);

/** KEYS: ids, records. Removes every record; returns how many there were. */
const FAILURE_PURGE: Script = script(`
local count = redis.call('ZCARD', KEYS[1])
redis.call('DEL', KEYS[1], KEYS[2])
return count
`);

/** The failure records of one queue. */
export class RedisFailures {
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

  /** Records a failure as the newest, replacing one of the same id, keeping at most `maxLength`. */
  async add(id: string, record: Uint8Array, maxLength: number): Promise<void> {
    checkMaxLength(maxLength);
    const { failures, failureRecords, sequence } = this.#keys;
    const args = [String(id), record, String(maxLength)];
    await runScript(
      await this.#connection(),
      FAILURE_ADD,
      [failures, failureRecords, sequence],
      args,
    );
  }

  /** The records, newest first, at most `limit`. */
  async list(limit: number | undefined): Promise<Uint8Array[]> {
    const checked = checkLimit(limit);
    const connection = await this.#connection();
    if (checked === 0) return [];
    const last = checked === Infinity ? "-1" : String(checked - 1);
    const { failures, failureRecords } = this.#keys;
    return await runScript(connection, FAILURE_LIST, [failures, failureRecords], [
      last,
    ]) as Uint8Array[];
  }

  /** Removes and returns the record of `id`, or `null`. */
  async take(id: string): Promise<Uint8Array | null> {
    const { failures, failureRecords } = this.#keys;
    const connection = await this.#connection();
    const record = await runScript(connection, FAILURE_TAKE, [failures, failureRecords], [
      String(id),
    ]);
    return record instanceof Uint8Array ? record : null;
  }

  /** Removes every record; resolves to how many there were. */
  async purge(): Promise<number> {
    const { failures, failureRecords } = this.#keys;
    return await runScript(await this.#connection(), FAILURE_PURGE, [
      failures,
      failureRecords,
    ]) as number;
  }

  /** How many records are kept. */
  async count(): Promise<number> {
    return await (await this.#connection()).zcard(this.#keys.failures);
  }
}
