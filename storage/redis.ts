/**
 * Storage in Redis (huey's `RedisStorage`): the engine for many consumers on
 * many machines. Leases live in Redis and expired ones are recovered
 * atomically, every step of more than one command is one Lua script, and
 * every key of a queue carries the hash tag `{name}`, so Redis Cluster works.
 * {@linkcode PriorityRedisStorage} (`./redis_priority.ts`) adds priorities,
 * `./redis_expire.ts` results that expire.
 *
 * node-redis (npm `redis` v5) is loaded on first use, never by importing
 * this module. Needs Redis 6.2 or later.
 *
 * @module
 */
import type {
  DeadLetter,
  Delivery,
  DequeueOptions,
  EnqueueOnceOptions,
  FinishOptions,
  PutDataOptions,
  PutIfEmptyOptions,
  Storage,
} from "./base.ts";
import { ConfigurationError, HueyError } from "../errors.ts";
import { Batcher } from "./_batch.ts";
import {
  batches,
  connect,
  type ConnectPlan,
  ListWaiter,
  type NodeRedisClient,
  planConnection,
  type RedisArgument,
  type RedisConnection,
  type RedisReply,
} from "./_redis_client.ts";
import {
  DEAD_ADD,
  DEAD_FLUSH,
  DEAD_TAKE,
  FINISH_HASH,
  KV_ALL,
  KV_DELETE_IF_EQUALS,
  KV_PEEK_MANY,
  KV_PUT,
  KV_PUT_IF_EMPTY,
  KV_READ,
  LIST_SCRIPTS,
  packDeadLetter,
  packFields,
  type QueueScripts,
  type RedisKeys,
  redisKeys,
  RENEW,
  runScript,
  SCHEDULE_ADD,
  SCHEDULE_POP,
  type Script,
  SEQUENCE_WIDTH,
  unpackDeadLetter,
} from "./_redis_scripts.ts";

export type { NodeRedisClient, RedisArgument, RedisConnection, RedisKeys, RedisReply };

/** Options of the Redis storages. Give `url`, or `host`/`port`/`db`, or `client`. */
export interface RedisStorageOptions {
  /**
   * Where to connect, as `redis://[[username]:password@]host[:port][/db]`, or
   * `rediss://...` for TLS. Excludes `host`, `port` and `db`.
   */
  url?: string;
  /** The Redis host. @default "127.0.0.1" */
  host?: string;
  /** The Redis port. @default 6379 */
  port?: number;
  /** The ACL user name. */
  username?: string;
  /** The password. */
  password?: string;
  /** The database number. @default 0 */
  db?: number;
  /**
   * An existing client instead of connection options: a node-redis v5 client
   * (connected or not; the storage never closes it), or any
   * {@linkcode RedisConnection}.
   */
  client?: NodeRedisClient | RedisConnection;
  /** `dequeue` waits up to `readTimeout` for a message when the queue is empty. @default true */
  blocking?: boolean;
  /** How long a blocking `dequeue` waits, in seconds. @default 1 */
  readTimeout?: number;
  /** Seconds a task result is kept (`RedisExpireStorage` kinds only). @default 86400 */
  expireTime?: number;
}

/**
 * What the queue and result models work with.
 *
 * @internal
 */
export interface RedisContext {
  /** The storage's connection. */
  readonly connection: RedisConnection;
  /** The queue's key names. */
  readonly keys: RedisKeys;
  /** Seconds results are kept (expire kinds). */
  readonly expireTime: number;
}

/**
 * How a Redis storage keeps its queue: a LIST here, a ZSET for priorities.
 *
 * @internal
 */
export interface QueueModel {
  /** Whether priorities are honoured. */
  readonly priority: boolean;
  /** Lease, release and view scripts of this layout. */
  readonly scripts: QueueScripts;
  /** The list a blocking `dequeue` waits on (BLMOVE to itself: it never takes data). */
  waitKey(keys: RedisKeys): string;
  /** Appends checked messages, in order. */
  enqueue(context: RedisContext, items: { data: Uint8Array; priority: number }[]): Promise<void>;
  /** The message in a stored queue element. */
  decode(element: Uint8Array): Uint8Array;
}

/**
 * How a Redis storage keeps keys and values: a HASH here, string keys with a TTL for the expire kinds.
 *
 * @internal
 */
export interface ResultModel {
  /** Results expire and `pop` only reads (the expire kinds). */
  readonly expiring: boolean;
  /** Stores a value, without expiry unless `isResult` on an expiring model. */
  put(context: RedisContext, key: string, value: Uint8Array, isResult: boolean): Promise<void>;
  /** Reads values, in one round trip; `null` for a missing key. */
  peekMany(context: RedisContext, keys: string[]): Promise<(Uint8Array | null)[]>;
  /** Deletes, stores and acknowledges for several tasks, in one round trip. */
  finishMany(context: RedisContext, items: FinishItem[]): Promise<void>;
  /** Reads (and, unless expiring, removes) a value. */
  pop(context: RedisContext, key: string): Promise<Uint8Array | null>;
  /** Removes a value; `true` when there was one. */
  delete(context: RedisContext, key: string): Promise<boolean>;
  /** Removes a value only while it is exactly `value`, atomically; `true` when it did. */
  deleteIfEquals(context: RedisContext, key: string, value: Uint8Array): Promise<boolean>;
  /** Whether a value is stored. */
  has(context: RedisContext, key: string): Promise<boolean>;
  /** Stores the value if the key is empty, atomically, expiring after `ttl` ms if given. */
  putIfEmpty(context: RedisContext, key: string, value: Uint8Array, ttl?: number): Promise<boolean>;
  /** How many keys are stored. */
  size(context: RedisContext): Promise<number>;
  /** Every key and value. */
  items(context: RedisContext): Promise<Map<string, Uint8Array>>;
  /** Removes every key. */
  flush(context: RedisContext): Promise<void>;
}

/**
 * One task's part of {@linkcode ResultModel.finishMany}.
 *
 * @internal
 */
export interface FinishItem extends FinishOptions {
  /** The lease to end, or `null`. */
  receipt: string | null;
}

/**
 * The ARGV of a finish script (see `_redis_scripts.ts`): the result ttl,
 * then one record per task, packed in one argument, with each key written
 * as `name(key)`.
 *
 * @internal
 */
export function finishArguments(
  items: FinishItem[],
  ttl: string,
  name: (key: string) => string,
): RedisArgument[] {
  const fields: RedisArgument[] = [];
  for (const { receipt, deleteKeys = [], result } of items) {
    fields.push(receipt ?? "", String(deleteKeys.length));
    for (const key of deleteKeys) fields.push(name(key));
    if (result) fields.push("1", name(result.key), result.value);
    else fields.push("0");
  }
  return [ttl, packFields(fields)];
}

/** Messages per RPUSH when enqueueing many. */
const BATCH = 1000;
/** Keys per script of `peekMany` (Lua's `unpack` takes a few thousand at most). */
const PEEK_CHUNK = 1000;

const LIST_QUEUE: QueueModel = {
  priority: false,
  scripts: LIST_SCRIPTS,
  waitKey: (keys) => keys.queue,
  async enqueue({ connection, keys }, items) {
    for (const batch of batches(items, BATCH)) {
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
const HASH_RESULTS: ResultModel = {
  expiring: false,
  async put({ connection, keys }, key, value) {
    await runScript(connection, KV_PUT, [keys.values, keys.expiries], [key, value]);
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
  async finishMany({ connection, keys }, items) {
    const { leases, leased, values, expiries } = keys;
    const args = finishArguments(items, "0", (key) => key);
    await runScript(connection, FINISH_HASH, [leases, leased, values, expiries], args);
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
};

function checkNumber(what: string, value: unknown, min: number, inclusive: boolean): number {
  if (typeof value !== "number") {
    throw new TypeError(`${what} must be a number, got ${typeof value} ${String(value)}`);
  }
  if (!Number.isFinite(value) || (inclusive ? value < min : value <= min)) {
    throw new RangeError(
      `${what} must be a finite number ${inclusive ? ">=" : ">"} ${min}, got ${value}`,
    );
  }
  return value;
}

/** Seconds to whole milliseconds (at least 1). */
function milliseconds(seconds: number): number {
  return Math.max(1, Math.round(seconds * 1000));
}

/** Elements after the sequence prefix (schedule members). */
function unprefix(element: Uint8Array): Uint8Array {
  return element.slice(SEQUENCE_WIDTH);
}

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
export class RedisStorage implements Storage {
  /** The queue name. */
  readonly name: string;
  /** `dequeue` waits up to `readTimeout` seconds for a message. */
  readonly blocking: boolean;
  /** Whether priorities are honoured (the Priority kinds). */
  readonly priority: boolean;
  /** The server's `host:port`. */
  readonly location: string;
  #readTimeout: number;
  #expireTime: number;
  #plan: ConnectPlan;
  #keys: RedisKeys;
  #queue: QueueModel;
  #results: ResultModel;
  #connecting: Promise<RedisConnection> | null = null;
  #waiter = new ListWaiter(async () => await (await this.#connection()).duplicate());
  #closed = false;
  // Calls made in the same turn of the event loop share one round trip (see _batch.ts).
  #enqueues = new Batcher<{ data: Uint8Array; priority: number }, void>(async (items) => {
    await this.#queue.enqueue(await this.#context(), items);
    return items.map(() => undefined);
  });
  // Leases go out at once, ahead of the stores that wait for the turn to end: a worker waits for them.
  #leases = new Batcher<number, Delivery | number>(
    (requests) => this.#lease(requests),
    { eager: true },
  );
  #peeks = new Batcher<string, Uint8Array | null>(async (keys) => {
    return await this.#results.peekMany(await this.#context(), keys);
  });
  #finishes = new Batcher<FinishItem, void>(async (items) => {
    await this.#results.finishMany(await this.#context(), items);
    return items.map(() => undefined);
  });

  /**
   * Checks the options; connects on first use.
   *
   * @param name The queue name (no `{` or `}`: they delimit the hash tag).
   * @param options See {@linkcode RedisStorageOptions}.
   * @throws {ConfigurationError} Options contradict each other, e.g. `url` with `host`, or
   *   `expireTime` on a kind whose results do not expire.
   * @throws {TypeError} An option has the wrong type.
   * @throws {RangeError} An option is out of range, or the name contains a brace.
   */
  constructor(name: string = "huey", options: RedisStorageOptions = {}) {
    const { blocking = true, readTimeout = 1, expireTime, ...connection } = options;
    if (typeof name !== "string" || name === "") {
      throw new TypeError(`Storage name must be a non-empty string, got ${String(name)}`);
    }
    if (/[{}]/.test(name)) {
      throw new RangeError(`Redis storage name must not contain '{' or '}', got ${name}`);
    }
    if (typeof blocking !== "boolean") {
      throw new TypeError(`Option 'blocking' must be a boolean, got ${typeof blocking}`);
    }
    this.#queue = this.queueModel();
    this.#results = this.resultModel();
    if (!this.#results.expiring && expireTime !== undefined) {
      throw new ConfigurationError(
        `Option 'expireTime' applies to RedisExpireStorage and PriorityRedisExpireStorage, ` +
          `not ${new.target.name}`,
      );
    }
    this.name = name;
    this.blocking = blocking;
    this.priority = this.#queue.priority;
    this.#readTimeout = checkNumber("Option 'readTimeout'", readTimeout, 0, false);
    this.#expireTime = checkNumber("Option 'expireTime'", expireTime ?? 86400, 0, false);
    this.#plan = planConnection(connection);
    this.location = this.#plan.address;
    this.#keys = redisKeys(name);
  }

  /**
   * The queue layout: a LIST here; the priority kinds override it.
   * @internal
   */
  protected queueModel(): QueueModel {
    return LIST_QUEUE;
  }

  /**
   * The key/value layout: a HASH here; the expire kinds override it.
   * @internal
   */
  protected resultModel(): ResultModel {
    return HASH_RESULTS;
  }

  /** The connection, opened on first use. */
  #connection(): Promise<RedisConnection> {
    if (this.#closed) {
      return Promise.reject(new HueyError(`${this.constructor.name} '${this.name}' is closed`));
    }
    this.#connecting ??= connect(this.#plan).catch((error) => {
      this.#connecting = null; // try again on the next call
      throw error;
    });
    return this.#connecting;
  }

  async #context(): Promise<RedisContext> {
    return { connection: await this.#connection(), keys: this.#keys, expireTime: this.#expireTime };
  }

  async #run(script: Script, keys: string[], args: RedisArgument[] = []): Promise<RedisReply> {
    return await runScript(await this.#connection(), script, keys, args);
  }

  get #queueKeys(): string[] {
    const { queue, leases, leased, notify } = this.#keys;
    return [queue, leases, leased, notify];
  }

  /** The queue score of a checked priority, as the scripts take it (`-priority`, `0` for none). */
  #score(priority: number | undefined): string {
    return String(-this.#checkPriority(priority) || 0);
  }

  #checkPriority(priority: number | undefined): number {
    if (priority === undefined || priority === 0) return 0;
    checkNumber("Priority", priority, -Infinity, false);
    if (!this.priority) {
      throw new ConfigurationError(
        `${this.constructor.name} has no priorities, got priority ${priority}: ` +
          `use PriorityRedisHuey (or PriorityRedisExpireHuey) for priorities`,
      );
    }
    return priority;
  }

  /** Adds a message to the queue (messages enqueued together go in one command). */
  async enqueue(data: Uint8Array, priority?: number): Promise<void> {
    await this.#enqueues.call({ data, priority: this.#checkPriority(priority) });
  }

  /** Adds messages to the queue in order: one command (or script) per thousand. */
  async enqueueMany(items: ReadonlyArray<{ data: Uint8Array; priority?: number }>): Promise<void> {
    const checked = items.map(({ data, priority }) => ({
      data,
      priority: this.#checkPriority(priority),
    }));
    const context = await this.#context();
    if (checked.length > 0) await this.#queue.enqueue(context, checked);
  }

  /**
   * Takes the next message. With `blocking`, waits up to `readTimeout`
   * seconds for one (resolving to `null` at once when `signal` aborts).
   */
  async dequeue(options: DequeueOptions = {}): Promise<Delivery | null> {
    const { lease = 0, signal, wait: mayWait = true } = options;
    checkNumber("Option 'lease'", lease, 0, true);
    const deadline = Date.now() + this.#readTimeout * 1000;
    while (!signal?.aborted) {
      const reply = await this.#leases.call(lease > 0 ? milliseconds(lease) : 0);
      if (typeof reply !== "number") return reply;
      const remaining = deadline - Date.now();
      if (!this.blocking || !mayWait || remaining <= 0) return null;
      // Wake up when a lease expires too: its message is then waiting.
      const nextExpiry = reply;
      const wait = nextExpiry >= 0 ? Math.min(remaining, nextExpiry + 5) : remaining;
      try {
        await this.#waiter.wait(this.#queue.waitKey(this.#keys), wait / 1000, signal);
      } catch (error) {
        if (this.#closed) return null;
        throw error;
      }
    }
    return null;
  }

  /**
   * Leases a message for each request (its lease in ms), in one script per
   * lease time; each request gets its delivery, or the ms until the next
   * lease expires. The script names the receipts after one UUID per call.
   */
  async #lease(requests: number[]): Promise<(Delivery | number)[]> {
    const answers: (Delivery | number)[] = [];
    for (const lease of new Set(requests)) {
      const indexes = requests.flatMap((request, i) => request === lease ? [i] : []);
      const prefix = crypto.randomUUID();
      const reply = await this.#run(this.#queue.scripts.lease, this.#queueKeys, [
        String(lease),
        prefix,
        String(indexes.length),
      ]) as [number, ...Uint8Array[]];
      indexes.forEach((index, i) => {
        const message = reply[i + 1] as Uint8Array | undefined;
        answers[index] = message === undefined ? reply[0] : {
          data: this.#queue.decode(message),
          receipt: lease > 0 ? `${prefix}.${i + 1}` : null,
        };
      });
    }
    return answers;
  }

  /** Removes a leased message for good. Unknown or outdated receipts are ignored. */
  async ack(receipt: string): Promise<void> {
    await this.#finishes.call({ receipt });
  }

  /** Removes `deleteKeys`, stores `result`, then acks `receipt`: one script for all tasks finished together. */
  async finish(receipt: string | null, options: FinishOptions): Promise<void> {
    await this.#finishes.call({ ...options, receipt });
  }

  /** Extends these leases to `lease` seconds from now (Redis's clock). */
  async renew(receipts: readonly string[], lease: number): Promise<void> {
    checkNumber("Lease", lease, 0, false);
    const connection = await this.#connection();
    if (receipts.length === 0) return;
    await runScript(connection, RENEW, [this.#keys.leases], [
      String(milliseconds(lease)),
      ...receipts,
    ]);
  }

  /** Puts a leased message back at the head of the queue. */
  async release(receipt: string): Promise<void> {
    await this.#run(this.#queue.scripts.release, this.#queueKeys, [receipt]);
  }

  /** How many messages are waiting (expired leases are recovered first). */
  async queueSize(): Promise<number> {
    return await this.#run(this.#queue.scripts.view, this.#queueKeys, ["-2"]) as number;
  }

  /** The waiting messages in dequeue order, at most `limit`. */
  async enqueuedItems(limit?: number): Promise<Uint8Array[]> {
    if (limit !== undefined) checkNumber("Option 'limit'", limit, 0, true);
    const count = limit === undefined ? -1 : Math.floor(limit);
    const connection = await this.#connection();
    if (count === 0) return [];
    const reply = await runScript(connection, this.#queue.scripts.view, this.#queueKeys, [
      String(count),
    ]);
    return (reply as Uint8Array[]).map((element) => this.#queue.decode(element));
  }

  /** Empties the queue, leased messages included. */
  async flushQueue(): Promise<void> {
    const { queue, leases, leased, notify } = this.#keys;
    await (await this.#connection()).del([queue, leases, leased, notify]);
  }

  /** Adds a message to the schedule, for `eta` (epoch ms), to be enqueued with `priority`. */
  async addToSchedule(data: Uint8Array, eta: number, priority?: number): Promise<void> {
    checkNumber("Eta", eta, -Infinity, false);
    const { schedule, sequence, schedulePriorities } = this.#keys;
    const args = [String(eta), data, this.#score(priority)];
    await this.#run(SCHEDULE_ADD, [schedule, sequence, schedulePriorities], args);
  }

  /** Removes and returns the messages due at `now` (epoch ms), in eta order, atomically. */
  async readSchedule(now: number): Promise<Uint8Array[]> {
    checkNumber("Now", now, -Infinity, false);
    const { schedule, schedulePriorities } = this.#keys;
    const due = await this.#run(SCHEDULE_POP, [schedule, schedulePriorities], [String(now)]);
    return (due as Uint8Array[]).map(unprefix);
  }

  /** Moves up to `limit` due messages to the queue, in eta order, with their priorities: one script. */
  async moveDue(now: number, limit: number): Promise<Uint8Array[]> {
    checkNumber("Now", now, -Infinity, false);
    checkNumber("Option 'limit'", limit, 0, false);
    if (!Number.isInteger(limit)) {
      throw new RangeError(`Option 'limit' must be a whole number > 0, got ${limit}`);
    }
    const { sequence, schedule, schedulePriorities } = this.#keys;
    const keys = [...this.#queueKeys, sequence, schedule, schedulePriorities];
    return await this.#run(this.#queue.scripts.moveDue, keys, [
      String(now),
      String(limit),
    ]) as Uint8Array[];
  }

  /** How many messages are scheduled. */
  async scheduleSize(): Promise<number> {
    return await (await this.#connection()).zcard(this.#keys.schedule);
  }

  /** The scheduled messages, soonest first, at most `limit`. */
  async scheduledItems(limit?: number): Promise<Uint8Array[]> {
    return (await this.#range(this.#keys.schedule, limit)).map(unprefix);
  }

  /** The first `limit` members of a sorted set (all when `undefined`). */
  async #range(key: string, limit: number | undefined): Promise<Uint8Array[]> {
    if (limit !== undefined) checkNumber("Option 'limit'", limit, 0, true);
    const connection = await this.#connection();
    if (limit !== undefined && Math.floor(limit) === 0) return [];
    return await connection.zrange(key, 0, limit === undefined ? -1 : Math.floor(limit) - 1);
  }

  /** Empties the schedule. */
  async flushSchedule(): Promise<void> {
    await (await this.#connection()).del([this.#keys.schedule, this.#keys.schedulePriorities]);
  }

  /** Stores a value under a key, replacing any other (and its ttl). */
  async putData(key: string, value: Uint8Array, options: PutDataOptions = {}): Promise<void> {
    await this.#results.put(await this.#context(), key, value, options.isResult ?? false);
  }

  /** Reads a value without removing it (values read together: one command). */
  async peekData(key: string): Promise<Uint8Array | null> {
    return await this.#peeks.call(key);
  }

  /** Reads many values: one script per {@linkcode PEEK_CHUNK} keys. */
  async peekMany(keys: readonly string[]): Promise<(Uint8Array | null)[]> {
    const context = await this.#context();
    const values: (Uint8Array | null)[] = [];
    for (let at = 0; at < keys.length; at += PEEK_CHUNK) {
      values.push(...await this.#results.peekMany(context, keys.slice(at, at + PEEK_CHUNK)));
    }
    return values;
  }

  /** Reads and removes a value (the expire kinds only read). */
  async popData(key: string): Promise<Uint8Array | null> {
    return await this.#results.pop(await this.#context(), key);
  }

  /** Removes a value; `true` when there was one. */
  async deleteData(key: string): Promise<boolean> {
    return await this.#results.delete(await this.#context(), key);
  }

  /** Whether a value is stored under the key. */
  async hasDataForKey(key: string): Promise<boolean> {
    return await this.#results.has(await this.#context(), key);
  }

  /** Stores the value if the key is empty, atomically; with `ttl` (seconds) the key expires. */
  async putIfEmpty(
    key: string,
    value: Uint8Array,
    options: PutIfEmptyOptions = {},
  ): Promise<boolean> {
    const { ttl } = options;
    if (ttl !== undefined) checkNumber("Option 'ttl'", ttl, 0, false);
    const context = await this.#context();
    return await this.#results.putIfEmpty(context, key, value, ttl && milliseconds(ttl));
  }

  /** Removes the key only while it holds exactly `value`, atomically; `true` when it did. */
  async deleteIfEquals(key: string, value: Uint8Array): Promise<boolean> {
    return await this.#results.deleteIfEquals(await this.#context(), key, value);
  }

  /** Enqueues `items` and sets `marker` for `ttl` seconds, unless it is set: one script. */
  async enqueueOnce(
    marker: string,
    items: ReadonlyArray<{ data: Uint8Array; priority?: number }>,
    options: EnqueueOnceOptions,
  ): Promise<boolean> {
    const ttl = checkNumber("Option 'ttl'", options?.ttl, 0, false);
    const args: RedisArgument[] = [marker, String(milliseconds(ttl))];
    for (const { data, priority } of items) args.push(this.#score(priority), data);
    const keys = [...this.#queueKeys, this.#keys.sequence, this.#keys.markers];
    return await this.#run(this.#queue.scripts.enqueueOnce, keys, args) === 1;
  }

  /** How many keys are stored. */
  async resultStoreSize(): Promise<number> {
    return await this.#results.size(await this.#context());
  }

  /** Every stored key and its value. */
  async resultItems(): Promise<Map<string, Uint8Array>> {
    return await this.#results.items(await this.#context());
  }

  /** Removes every key. */
  async flushResults(): Promise<void> {
    await this.#results.flush(await this.#context());
  }

  /** Moves a message aside and acks `receipt`, in one script; resolves to the dead letter's id. */
  async addDeadLetter(
    data: Uint8Array,
    reason: string,
    receipt: string | null = null,
  ): Promise<string> {
    const { dead, sequence, leases, leased } = this.#keys;
    const args = [packDeadLetter(data, reason), receipt ?? ""];
    return String(await this.#run(DEAD_ADD, [dead, sequence, leases, leased], args));
  }

  /** The dead letters, oldest first, at most `limit`. */
  async deadLetters(limit?: number): Promise<DeadLetter[]> {
    return (await this.#range(this.#keys.dead, limit)).map(unpackDeadLetter);
  }

  /** Removes one dead letter and resolves to its message, or `null` for an unknown id. */
  async takeDeadLetter(id: string): Promise<Uint8Array | null> {
    const connection = await this.#connection();
    if (!/^\d{1,15}$/.test(id)) return null;
    const member = await runScript(connection, DEAD_TAKE, [this.#keys.dead], [id]);
    return member instanceof Uint8Array ? unpackDeadLetter(member).data : null;
  }

  /** Removes every dead letter; resolves to how many there were. */
  async flushDeadLetters(): Promise<number> {
    return await this.#run(DEAD_FLUSH, [this.#keys.dead]) as number;
  }

  /** Empties the queue, the schedule, the key/value store, the markers and the dead letters. */
  async flushAll(): Promise<void> {
    const context = await this.#context();
    const { queue, leases, leased, notify, schedule, schedulePriorities, markers } = this.#keys;
    const { values, expiries, dead } = this.#keys;
    await context.connection.del([
      queue,
      leases,
      leased,
      notify,
      schedule,
      schedulePriorities,
      markers,
      values,
      expiries,
      dead,
    ]);
    await this.#results.flush(context);
  }

  /**
   * Closes the connections this storage opened (a client given in the
   * options stays open). A blocking `dequeue` in progress resolves to `null`.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#waiter.destroy();
    const connection = await this.#connecting?.catch(() => null);
    if (connection && this.#plan.client === undefined) await connection.close();
  }

  /** Closes the storage, for `await using`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
