/**
 * The Redis storages (huey's `RedisStorage` and its kinds): the engine for
 * many consumers on many machines. {@linkcode RedisStorage} keeps a FIFO
 * queue in a LIST; {@linkcode PriorityRedisStorage} a sorted set with
 * priorities; {@linkcode RedisExpireStorage} and
 * {@linkcode PriorityRedisExpireStorage} add results that expire.
 *
 * Leases live in Redis and expired ones are recovered atomically, every step
 * of more than one command is one Lua script, and every key of a queue
 * carries the hash tag `{name}`, so Redis Cluster works: give option
 * `cluster: { rootNodes: [{ url }] }`, or a node-redis cluster client as
 * `client`. node-redis (npm
 * `@redis/client` v5) is loaded on first use, never by importing this
 * module. Needs Redis 6.2 or later.
 *
 * @module
 */
import type { QueueModel, ResultModel } from "./_redis_layout.ts";
import { EXPIRING_RESULTS, HASH_RESULTS, LIST_QUEUE, PRIORITY_QUEUE } from "./_redis_models.ts";
import { RedisStorageBase } from "./_redis_storage.ts";

export type { RedisConnection } from "./_redis_client.ts";
export type { RedisClusterNode, RedisClusterOptions } from "./_redis_cluster.ts";
export type { RedisStorageOptions } from "./_redis_options.ts";

/**
 * The plain Redis storage (huey's `RedisStorage`): a FIFO queue in a Redis
 * LIST, without priorities (a non-zero priority throws
 * `ConfigurationError`: use {@linkcode PriorityRedisStorage}). Results are
 * kept in a HASH until read. Several clients (processes, machines) of the
 * same name share one queue.
 *
 * @example
 * ```ts
 * import { RedisStorage } from "./redis.ts";
 * const storage = new RedisStorage("my-app", { url: "redis://127.0.0.1:6379/0" });
 * console.assert(storage.blocking && !storage.priority); // connects on first use:
 * async function work(): Promise<void> {
 *   await storage.enqueue(new TextEncoder().encode("hello"));
 *   const delivery = await storage.dequeue({ lease: 30 });
 *   if (delivery?.receipt) await storage.ack(delivery.receipt);
 * }
 * await storage.close();
 * ```
 */
export class RedisStorage extends RedisStorageBase {
  /**
   * The queue layout: a LIST.
   * @internal
   */
  protected override queueModel(): QueueModel {
    return LIST_QUEUE;
  }

  /**
   * The key/value layout: a HASH; reading a result removes it.
   * @internal
   */
  protected override resultModel(): ResultModel {
    return HASH_RESULTS;
  }
}

/**
 * Redis storage with priorities (huey's `PriorityRedisStorage`): the queue is
 * a sorted set; higher priorities are dequeued first, FIFO within one;
 * negative priorities come after 0. Otherwise as {@linkcode RedisStorage}.
 *
 * @example
 * ```ts
 * import { PriorityRedisStorage } from "./redis.ts";
 * const storage = new PriorityRedisStorage("my-app", { host: "127.0.0.1", port: 6379 });
 * console.assert(storage.priority);
 * async function work(): Promise<void> {
 *   await storage.enqueue(new TextEncoder().encode("later"));
 *   await storage.enqueue(new TextEncoder().encode("first"), 10);
 *   const delivery = await storage.dequeue({ lease: 30 }); // "first"
 *   if (delivery?.receipt) await storage.ack(delivery.receipt);
 * }
 * await storage.close();
 * ```
 */
export class PriorityRedisStorage extends RedisStorage {
  /**
   * The queue layout: a sorted set.
   * @internal
   */
  protected override queueModel(): QueueModel {
    return PRIORITY_QUEUE;
  }
}

/**
 * Redis storage whose task results expire after `expireTime` seconds (huey's
 * `RedisExpireStorage`): each key is a Redis string key of its own, and
 * reading a result does not delete it, so several readers may read it until
 * it expires. Other keys (revoke flags, locks) never expire unless put with
 * a ttl. No priorities; otherwise as {@linkcode RedisStorage}.
 *
 * @example
 * ```ts
 * import { RedisExpireStorage } from "./redis.ts";
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
 * import { PriorityRedisExpireStorage } from "./redis.ts";
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
