/**
 * The consumer heartbeats of the Redis storages: a HASH of the records by
 * consumer id and a ZSET of their expiries (ms, the Redis server's clock),
 * both under the queue's hash tag. Each operation is one script, which
 * first forgets the expired records.
 *
 * @module
 * @internal
 */
import { checkHeartbeatTtl } from "./_event_check.ts";
import type { RedisConnection } from "./_redis_client.ts";
import { milliseconds, type RedisKeys } from "./_redis_layout.ts";
import { NOW, runScript, type Script, script } from "./_redis_scripts.ts";
import type { RedisSession } from "./_redis_session.ts";

/** Lua: KEYS[1] records (HASH), KEYS[2] expiries (ZSET); `now` and `forget_expired()`. */
const HEARTBEATS = `${NOW}
local now = now_ms()
local function forget_expired()
  local expired = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now)
  for _, id in ipairs(expired) do redis.call('HDEL', KEYS[1], id) end
  if #expired > 0 then redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now) end
end
forget_expired()
`;

/** KEYS: records, expiries. ARGV: id, record, ttl ms. Stores the record until now + ttl. */
const HEARTBEAT_PUT: Script = script(`${HEARTBEATS}
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('ZADD', KEYS[2], now + tonumber(ARGV[3]), ARGV[1])
return 1
`);

/** KEYS: records, expiries. Returns the records that have not expired. */
const HEARTBEAT_LIST: Script = script(`${HEARTBEATS}
return redis.call('HVALS', KEYS[1])
`);

/** KEYS: records, expiries. ARGV: id. Removes the record; returns 1 when a live one was there. */
const HEARTBEAT_DELETE: Script = script(`${HEARTBEATS}
redis.call('ZREM', KEYS[2], ARGV[1])
return redis.call('HDEL', KEYS[1], ARGV[1])
`);

/** The consumer heartbeats of one queue. */
export class RedisHeartbeats {
  #session: RedisSession;
  #keys: string[];

  /**
   * @param session Gives the connection, opened on first use.
   * @param keys The queue's key names.
   */
  constructor(session: RedisSession, keys: RedisKeys) {
    this.#session = session;
    this.#keys = [keys.heartbeats, keys.heartbeatExpiries];
  }

  #connection(): Promise<RedisConnection> {
    return this.#session.connection();
  }

  /** Stores the record under `id`, replacing the older one, for `ttl` seconds. */
  async put(id: string, record: Uint8Array, ttl: number): Promise<void> {
    const args = [String(id), record, String(milliseconds(checkHeartbeatTtl(ttl)))];
    await runScript(await this.#connection(), HEARTBEAT_PUT, this.#keys, args);
  }

  /** The records that have not expired. */
  async list(): Promise<Uint8Array[]> {
    return await runScript(await this.#connection(), HEARTBEAT_LIST, this.#keys) as Uint8Array[];
  }

  /** Removes the record of `id`; `true` when a live one was there. */
  async delete(id: string): Promise<boolean> {
    return await runScript(await this.#connection(), HEARTBEAT_DELETE, this.#keys, [String(id)]) ===
      1;
  }
}
