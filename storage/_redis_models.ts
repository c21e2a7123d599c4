/**
 * The models a Redis storage kind is built from (see `_redis_layout.ts`):
 * the queue as a LIST ({@linkcode LIST_QUEUE}) or a ZSET with priorities
 * ({@linkcode PRIORITY_QUEUE}); keys and values in a HASH
 * ({@linkcode HASH_RESULTS}) or as string keys whose results expire
 * ({@linkcode EXPIRING_RESULTS}).
 *
 * @module
 * @internal
 */
import type { RedisConnection, RedisReply } from "./_redis_client.ts";
import {
  completionArguments,
  milliseconds,
  NOTIFY_TTL,
  notifyKeys,
  type QueueModel,
  type RedisContext,
  type ResultModel,
} from "./_redis_layout.ts";
import { LIST_SCRIPTS, ZSET_ENQUEUE, ZSET_SCRIPTS } from "./_redis_queue_scripts.ts";
import {
  COMPLETE_EXPIRING,
  COMPLETE_HASH,
  DELETE_IF_EQUALS,
  KEY_READY,
  KV_ALL,
  KV_DELETE_IF_EQUALS,
  KV_PEEK_MANY,
  KV_PUT,
  KV_PUT_IF_EMPTY,
  KV_READ,
  KV_READY,
  packFields,
  runScript,
  SEQUENCE_WIDTH,
  SET_NOTIFY,
} from "./_redis_scripts.ts";

/** Splits items into batches of at most `size`, to send one command per batch. */
function batches<T>(items: readonly T[], size: number): T[][] {
  const result: T[][] = [];
  for (let start = 0; start < items.length; start += size) {
    result.push(items.slice(start, start + size));
  }
  return result;
}

/** Messages per RPUSH when enqueueing many. */
const LIST_BATCH = 1000;
/** A LIST: RPUSH at the tail, leased from the head. */
export const LIST_QUEUE: QueueModel = {
  priority: false,
  scripts: LIST_SCRIPTS,
  waitKey: (keys) => keys.queue,
  async enqueue({ connection, keys }, items) {
    for (const batch of batches(items, LIST_BATCH)) {
      await connection.rpush(keys.queue, batch.map((item) => item.data));
    }
  },
  decode: (element) => element,
};

function readValue(context: RedisContext, mode: string, key: string): Promise<RedisReply> {
  const { connection, keys } = context;
  return runScript(connection, KV_READ, [keys.values, keys.expiries], [mode, key]);
}

/** Keys and values in a HASH; keys with a ttl also in a ZSET of expiries, purged by every read. */
export const HASH_RESULTS: ResultModel = {
  expiring: false,
  async put({ connection, keys, notifyResult }, key, value, isResult) {
    if (isResult && notifyResult) {
      const args = [key, value, String(milliseconds(NOTIFY_TTL))];
      const notify = keys.resultNotify + key;
      await runScript(connection, KV_PUT, [keys.values, keys.expiries, notify], args);
    } else await runScript(connection, KV_PUT, [keys.values, keys.expiries], [key, value]);
  },
  async peekMany({ connection, keys }, names) {
    const args = [packFields(names)];
    const found = await runScript(connection, KV_PEEK_MANY, [keys.values, keys.expiries], args);
    const values = new Array<Uint8Array | null>(names.length).fill(null);
    const pairs = found as (number | Uint8Array)[];
    for (let i = 0; i < pairs.length; i += 2) {
      values[(pairs[i] as number) - 1] = pairs[i + 1] as Uint8Array;
    }
    return values;
  },
  async completeMany(context, items) {
    const { leases, leased, events, eventsCount, eventSizes, values, expiries } = context.keys;
    const args = completionArguments(context, items, "0", (key) => key);
    const names = [leases, leased, events, eventsCount, eventSizes, values, expiries];
    names.push(...notifyKeys(context, items));
    await runScript(context.connection, COMPLETE_HASH, names, args);
  },
  pop: async (context, key) => await readValue(context, "pop", key) as Uint8Array | null,
  delete: async (context, key) => await readValue(context, "delete", key) === 1,
  async deleteIfEquals({ connection, keys }, key, value) {
    const args = [key, value];
    return await runScript(connection, KV_DELETE_IF_EQUALS, [keys.values, keys.expiries], args) ===
      1;
  },
  has: async (context, key) => await readValue(context, "has", key) === 1,
  async putIfEmpty({ connection, keys }, key, value, ttl = 0) {
    const args = [key, value, String(ttl)];
    return await runScript(connection, KV_PUT_IF_EMPTY, [keys.values, keys.expiries], args) === 1;
  },
  async size({ connection, keys }) {
    return await runScript(connection, KV_ALL, [keys.values, keys.expiries], ["size"]) as number;
  },
  async items({ connection, keys }) {
    const flat = await runScript(connection, KV_ALL, [keys.values, keys.expiries], ["items"]);
    const items = new Map<string, Uint8Array>();
    const decoder = new TextDecoder();
    const pairs = flat as Uint8Array[];
    for (let i = 0; i < pairs.length; i += 2) items.set(decoder.decode(pairs[i]), pairs[i + 1]);
    return items;
  },
  async flush({ connection, keys }) {
    await connection.del([keys.values, keys.expiries]);
  },
  async ready({ connection, keys }, key) {
    const names = [keys.values, keys.expiries, keys.resultNotify + key];
    return await runScript(connection, KV_READY, names, [key]) === 1;
  },
};

/** Messages per enqueue script when enqueueing many. */
const PRIORITY_BATCH = 500;

/**
 * A ZSET scored `-priority` whose members are a 16-digit sequence number
 * followed by the message, so that equal priorities stay FIFO (also when a
 * message comes back from a lease) and identical messages stay distinct.
 */
export const PRIORITY_QUEUE: QueueModel = {
  priority: true,
  scripts: ZSET_SCRIPTS,
  waitKey: (keys) => keys.notify,
  async enqueue({ connection, keys }, items) {
    for (const batch of batches(items, PRIORITY_BATCH)) {
      // The score is -priority; `|| 0` turns -0 into 0.
      const args = batch.flatMap(({ data, priority }) => [String(-priority || 0), data]);
      await runScript(connection, ZSET_ENQUEUE, [keys.queue, keys.sequence, keys.notify], args);
    }
  },
  decode: (element) => element.slice(SEQUENCE_WIDTH),
};

/** Keys per SCAN page, MGET and DEL. */
const PAGE = 1000;

/**
 * Every key whose name starts with `prefix` (SCAN: the store is not locked
 * meanwhile).
 *
 * @param connection The connection.
 * @param prefix The keys' common prefix, e.g. a queue's result prefix.
 */
export async function scanKeys(connection: RedisConnection, prefix: string): Promise<string[]> {
  const pattern = prefix.replace(/[*?[\]\\]/g, "\\$&") + "*";
  const found = new Set<string>(); // SCAN may return a key twice
  let cursor = "0";
  do {
    const [next, page] = await connection.scan(cursor, pattern, PAGE);
    for (const key of page) found.add(key);
    cursor = next;
  } while (cursor !== "0");
  return [...found];
}

/**
 * Deletes every key whose name starts with `prefix`, a page at a time.
 *
 * @param connection The connection.
 * @param prefix The keys' common prefix.
 */
export async function deleteKeys(connection: RedisConnection, prefix: string): Promise<void> {
  for (const page of batches(await scanKeys(connection, prefix), PAGE)) await connection.del(page);
}

/** Every result key of the queue. */
function resultKeys({ connection, keys }: RedisContext): Promise<string[]> {
  return scanKeys(connection, keys.results);
}

/** `huey:{name}:r:<key>` string keys; results get a TTL, keys put with a ttl too. */
export const EXPIRING_RESULTS: ResultModel = {
  expiring: true,
  async put({ connection, keys, expireTime, notifyResult }, key, value, isResult) {
    if (isResult && notifyResult) {
      const args = [value, String(milliseconds(expireTime)), String(milliseconds(NOTIFY_TTL))];
      await runScript(connection, SET_NOTIFY, [keys.results + key, keys.resultNotify + key], args);
      return;
    }
    const options = isResult ? { px: milliseconds(expireTime) } : {};
    await connection.set(keys.results + key, value, options);
  },
  peekMany: ({ connection, keys }, names) =>
    connection.mget(names.map((key) => keys.results + key)),
  async completeMany(context, items) {
    const { connection, keys, expireTime } = context;
    const name = (key: string): string => keys.results + key;
    // Every key a script touches is declared in KEYS (Redis Cluster).
    const touched = items.flatMap(({ deleteKeys = [], result }) => {
      return [...deleteKeys, ...(result ? [result.key] : [])].map(name);
    });
    touched.push(...notifyKeys(context, items));
    const args = completionArguments(context, items, String(milliseconds(expireTime)), name);
    const names = [keys.leases, keys.leased, keys.events, keys.eventsCount, keys.eventSizes];
    names.push(...touched);
    await runScript(connection, COMPLETE_EXPIRING, names, args);
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
  flush: ({ connection, keys }) => deleteKeys(connection, keys.results),
  async ready({ connection, keys }, key) {
    const names = [keys.results + key, keys.resultNotify + key];
    return await runScript(connection, KEY_READY, names) === 1;
  },
};
