/**
 * The dead letters of the Redis storages: a sorted set scored by id (from
 * the queue's sequence, never reused), each member
 * `id:at:reasonLength:reason` followed by the message. Adding one also
 * acknowledges the message it was, in the same script.
 *
 * @module
 * @internal
 */
import type { DeadLetter } from "./base.ts";
import type { RedisConnection } from "./_redis_client.ts";
import type { RedisKeys } from "./_redis_layout.ts";
import { firstMembers } from "./_redis_queue.ts";
import { runScript, type Script, script } from "./_redis_scripts.ts";
import type { RedisSession } from "./_redis_session.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * KEYS: dead letters (ZSET, score = id), sequence, leases (ZSET), leased
 * (HASH). ARGV: the dead letter ("at:reason length:reason" .. message), the
 * receipt of the leased message it came from ('' for none). Adds it under a
 * new id and acknowledges the message, in one step. Returns the id.
 */
const DEAD_ADD: Script = script(`
local id = redis.call('INCR', KEYS[2])
redis.call('ZADD', KEYS[1], id, id .. ':' .. ARGV[1])
if ARGV[2] ~= '' then
  redis.call('HDEL', KEYS[4], ARGV[2])
  redis.call('ZREM', KEYS[3], ARGV[2])
end
return id
`);

/** KEYS: dead letters. ARGV: id. Removes and returns the dead letter, or nil. */
const DEAD_TAKE: Script = script(`
local found = redis.call('ZRANGEBYSCORE', KEYS[1], ARGV[1], ARGV[1])
if #found == 0 then return nil end
redis.call('ZREMRANGEBYSCORE', KEYS[1], ARGV[1], ARGV[1])
return found[1]
`);

/** KEYS: dead letters. ARGV: id. Returns the dead letter, or nil. */
const DEAD_PEEK: Script = script(`
return redis.call('ZRANGEBYSCORE', KEYS[1], ARGV[1], ARGV[1])[1]
`);

/** KEYS: dead letters. Removes every dead letter. Returns how many there were. */
const DEAD_FLUSH: Script = script(`
local count = redis.call('ZCARD', KEYS[1])
redis.call('DEL', KEYS[1])
return count
`);

/** `at:reasonLength:reason` followed by the message. */
function packDeadLetter(data: Uint8Array, reason: string): Uint8Array {
  const reasonBytes = encoder.encode(reason);
  const head = encoder.encode(`${Date.now()}:${reasonBytes.length}:`);
  const packed = new Uint8Array(head.length + reasonBytes.length + data.length);
  packed.set(head);
  packed.set(reasonBytes, head.length);
  packed.set(data, head.length + reasonBytes.length);
  return packed;
}

/** Reads `id:at:reasonLength:reason` followed by the message. */
function unpackDeadLetter(member: Uint8Array): DeadLetter {
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

/** The dead letters of one queue. */
export class RedisDeadLetters {
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

  /** Moves a message aside and acks `receipt`, in one script; resolves to the dead letter's id. */
  async add(data: Uint8Array, reason: string, receipt: string | null): Promise<string> {
    const { dead, sequence, leases, leased } = this.#keys;
    const args = [packDeadLetter(data, reason), receipt ?? ""];
    const keys = [dead, sequence, leases, leased];
    return String(await runScript(await this.#connection(), DEAD_ADD, keys, args));
  }

  /** The dead letters, oldest first, at most `limit`. */
  async list(limit: number | undefined): Promise<DeadLetter[]> {
    return (await firstMembers(this.#session, this.#keys.dead, limit)).map(unpackDeadLetter);
  }

  /** One dead letter, or `null` for an unknown id. */
  async peek(id: string): Promise<DeadLetter | null> {
    return await this.#one(DEAD_PEEK, id);
  }

  /** Removes one dead letter and resolves to its message, or `null` for an unknown id. */
  async take(id: string): Promise<Uint8Array | null> {
    return (await this.#one(DEAD_TAKE, id))?.data ?? null;
  }

  /** What `script` answers for the dead letter `id` (`null` for an unknown id). */
  async #one(script: Script, id: string): Promise<DeadLetter | null> {
    const connection = await this.#connection();
    if (!/^\d{1,15}$/.test(id)) return null;
    const member = await runScript(connection, script, [this.#keys.dead], [id]);
    return member instanceof Uint8Array ? unpackDeadLetter(member) : null;
  }

  /** How many dead letters are kept. */
  async count(): Promise<number> {
    return await (await this.#connection()).zcard(this.#keys.dead);
  }

  /** Removes every dead letter; resolves to how many there were. */
  async flush(): Promise<number> {
    return await runScript(await this.#connection(), DEAD_FLUSH, [this.#keys.dead]) as number;
  }
}
