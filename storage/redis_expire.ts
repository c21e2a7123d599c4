/**
 * The Redis storages whose results expire (huey's `RedisExpireStorage` and
 * `PriorityRedisExpireStorage`): each key is a Redis string key of its own,
 * a task result gets a TTL of `expireTime`, and reading a result does not
 * delete it (expiry does).
 *
 * @module
 */
import { finishArguments, type RedisContext, RedisStorage, type ResultModel } from "./redis.ts";
import { PriorityRedisStorage } from "./redis_priority.ts";
import { batches } from "./_redis_client.ts";
import { DELETE_IF_EQUALS, FINISH_EXPIRING, runScript } from "./_redis_scripts.ts";

/** Keys per SCAN page, MGET and DEL. */
const PAGE = 1000;

/** Every result key of the queue (SCAN: the store is not locked meanwhile). */
async function resultKeys({ connection, keys }: RedisContext): Promise<string[]> {
  const pattern = keys.results.replace(/[*?[\]\\]/g, "\\$&") + "*";
  const found = new Set<string>(); // SCAN may return a key twice
  let cursor = "0";
  do {
    const [next, page] = await connection.scan(cursor, pattern, PAGE);
    for (const key of page) found.add(key);
    cursor = next;
  } while (cursor !== "0");
  return [...found];
}

/** The ttl of a result, in whole ms (at least 1). */
function resultTtl(expireTime: number): number {
  return Math.max(1, Math.round(expireTime * 1000));
}

/** `huey:{name}:r:<key>` string keys; results get a TTL, keys put with a ttl too. */
const EXPIRING_RESULTS: ResultModel = {
  expiring: true,
  async put({ connection, keys, expireTime }, key, value, isResult) {
    const options = isResult ? { px: resultTtl(expireTime) } : {};
    await connection.set(keys.results + key, value, options);
  },
  peekMany: ({ connection, keys }, names) =>
    connection.mget(names.map((key) => keys.results + key)),
  async finishMany({ connection, keys, expireTime }, items) {
    const name = (key: string): string => keys.results + key;
    // Every key a script touches is declared in KEYS (Redis Cluster).
    const touched = items.flatMap(({ deleteKeys = [], result }) => {
      return [...deleteKeys, ...(result ? [result.key] : [])].map(name);
    });
    const args = finishArguments(items, String(resultTtl(expireTime)), name);
    await runScript(connection, FINISH_EXPIRING, [keys.leases, keys.leased, ...touched], args);
  },
  pop: ({ connection, keys }, key) => connection.get(keys.results + key),
  delete: async ({ connection, keys }, key) => await connection.del([keys.results + key]) > 0,
  async deleteIfEquals({ connection, keys }, key, value) {
    return await runScript(connection, DELETE_IF_EQUALS, [keys.results + key], [value]) === 1;
  },
  has: async ({ connection, keys }, key) => await connection.exists(keys.results + key) > 0,
  putIfEmpty: ({ connection, keys }, key, value, ttl) => {
    return connection.set(keys.results + key, value, { nx: true, px: ttl });
  },
  size: async (context) => (await resultKeys(context)).length,
  async items(context) {
    const items = new Map<string, Uint8Array>();
    const prefix = context.keys.results.length;
    for (const page of batches(await resultKeys(context), PAGE)) {
      const values = await context.connection.mget(page);
      page.forEach((key, index) => {
        const value = values[index];
        if (value !== null) items.set(key.slice(prefix), value); // null: expired meanwhile
      });
    }
    return items;
  },
  async flush(context) {
    for (const page of batches(await resultKeys(context), PAGE)) await context.connection.del(page);
  },
};

/**
 * Redis storage whose task results expire after `expireTime` seconds (huey's
 * `RedisExpireStorage`): reading a result does not delete it, so several
 * readers may read it until it expires. Other keys (revoke flags, locks)
 * never expire unless put with a ttl. No priorities; otherwise as
 * {@linkcode RedisStorage}.
 *
 * @example
 * ```ts
 * import { RedisExpireStorage } from "./redis_expire.ts";
 * const storage = new RedisExpireStorage("my-app", { expireTime: 3600 });
 * async function work(): Promise<void> {
 *   await storage.putData("task-id", new TextEncoder().encode("42"), { isResult: true });
 *   await storage.popData("task-id"); // still there until it expires, an hour later
 * }
 * await storage.close();
 * ```
 */
export class RedisExpireStorage extends RedisStorage {
  /**
   * The key/value layout: string keys with a TTL.
   * @internal
   */
  protected override resultModel(): ResultModel {
    return EXPIRING_RESULTS;
  }
}

/**
 * Redis storage with priorities whose task results expire (huey's
 * `PriorityRedisExpireStorage`): the queue of {@linkcode PriorityRedisStorage},
 * the results of {@linkcode RedisExpireStorage}.
 *
 * @example
 * ```ts
 * import { PriorityRedisExpireStorage } from "./redis_expire.ts";
 * const storage = new PriorityRedisExpireStorage("my-app", { url: "redis://127.0.0.1:6379" });
 * console.assert(storage.priority);
 * await storage.close();
 * ```
 */
export class PriorityRedisExpireStorage extends PriorityRedisStorage {
  /**
   * The key/value layout: string keys with a TTL.
   * @internal
   */
  protected override resultModel(): ResultModel {
    return EXPIRING_RESULTS;
  }
}
