/**
 * The Redis storage with priorities (huey's `PriorityRedisStorage`): the
 * queue is a sorted set, higher priorities first and FIFO within one.
 *
 * @module
 */
import { type QueueModel, RedisStorage } from "./redis.ts";
import { batches } from "./_redis_client.ts";
import { runScript, SEQUENCE_WIDTH, ZSET_ENQUEUE, ZSET_SCRIPTS } from "./_redis_scripts.ts";

/** Messages per enqueue script when enqueueing many. */
const BATCH = 500;

/**
 * A ZSET scored `-priority` whose members are a 16-digit sequence number
 * followed by the message, so that equal priorities stay FIFO (also when a
 * message comes back from a lease) and identical messages stay distinct.
 */
const PRIORITY_QUEUE: QueueModel = {
  priority: true,
  scripts: ZSET_SCRIPTS,
  waitKey: (keys) => keys.notify,
  async enqueue({ connection, keys }, items) {
    for (const batch of batches(items, BATCH)) {
      // The score is -priority; `|| 0` turns -0 into 0.
      const args = batch.flatMap(({ data, priority }) => [String(-priority || 0), data]);
      await runScript(connection, ZSET_ENQUEUE, [keys.queue, keys.sequence, keys.notify], args);
    }
  },
  decode: (element) => element.slice(SEQUENCE_WIDTH),
};

/**
 * Redis storage with priorities (huey's `PriorityRedisStorage`): higher
 * priorities are dequeued first, FIFO within one; negative priorities come
 * after 0. Otherwise as {@linkcode RedisStorage}.
 *
 * @example
 * ```ts
 * import { PriorityRedisStorage } from "./redis_priority.ts";
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
