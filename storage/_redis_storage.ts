/**
 * The engine of the Redis storages (huey's `RedisStorage`): leases live in
 * Redis and expired ones are recovered atomically, every step of more than
 * one command is one Lua script, and every key of a queue carries the hash
 * tag `{name}`, so Redis Cluster works. Each public kind (`redis.ts`) picks
 * its queue and result models (`_redis_models.ts`).
 *
 * node-redis is loaded on first use, never by importing this module.
 *
 * @module
 * @internal
 */
import type {
  Delivery,
  DequeueOptions,
  EnqueueOnceOptions,
  EventsToAdd,
  FinishOptions,
  OnceItem,
  PutDataOptions,
  PutIfEmptyOptions,
  Storage,
} from "./base.ts";
import { ConfigurationError } from "../errors.ts";
import { checkBoolean, checkNumber, optionError } from "../_options.ts";
import { Batcher } from "./_batch.ts";
import type { Completion } from "./_completion.ts";
import { checkStorageName } from "./_check.ts";
import { DelegatingStorage, type StorageParts } from "./_delegating.ts";
import { checkEventsToAdd } from "./_event_check.ts";
import { planConnection, type RedisStorageOptions } from "./_redis_options.ts";
import { RedisDeadLetters } from "./_redis_dead.ts";
import { RedisEvents } from "./_redis_events.ts";
import { RedisFailures } from "./_redis_failures.ts";
import { RedisHeartbeats } from "./_redis_heartbeats.ts";
import {
  flushedKeys,
  milliseconds,
  type QueueModel,
  type RedisContext,
  type RedisKeys,
  redisKeys,
  type ResultModel,
} from "./_redis_layout.ts";
import { RedisQueue } from "./_redis_queue.ts";
import { RedisSession } from "./_redis_session.ts";
import { waitForResult } from "./_redis_result_wait.ts";
import { RedisTallies } from "./_redis_tallies.ts";

/** Keys per script of `peekMany` (Lua's `unpack` takes a few thousand at most). */
const PEEK_CHUNK = 1000;

/**
 * A Redis storage, its layout left to its kind: {@linkcode queueModel} and
 * {@linkcode resultModel}. Several clients (processes, machines) of the same
 * name share one queue.
 */
export abstract class RedisStorageBase extends DelegatingStorage implements Storage {
  /** The queue name. */
  readonly name: string;
  /** `dequeue` waits up to `readTimeout` seconds for a message. */
  readonly blocking: boolean;
  /** Whether priorities are honoured (the Priority kinds). */
  readonly priority: boolean;
  /** The server's `host:port`. */
  readonly location: string;
  /**
   * With `notifyResult` only: resolves once a value is stored under `key`
   * (`true`), after `timeout` ms or when `signal` aborts (`false`). Waits
   * on the key's notification with a blocking command on a connection of
   * its own, which does not take the notification: every waiter of the
   * result wakes, in every process.
   */
  readonly waitForData?: (key: string, timeout: number, signal?: AbortSignal) => Promise<boolean>;
  #expireTime: number;
  #notifyResult: boolean;
  #keys: RedisKeys;
  #queue: RedisQueue;
  #results: ResultModel;
  #session: RedisSession;
  #tallies: RedisTallies;
  #events: RedisEvents;
  #parts: StorageParts;
  // Calls made in the same turn of the event loop share one round trip (see _batch.ts).
  #peeks = new Batcher<string, Uint8Array | null>(async (keys) => {
    return await this.#results.peekMany(await this.#context(), keys);
  });
  #completions = new Batcher<Completion, void>(async (items) => {
    await this.#results.completeMany(await this.#context(), items);
    return items.map(() => undefined);
  });

  /**
   * Checks the options; connects on first use.
   *
   * @param name The queue name (no `{` or `}`: they delimit the hash tag).
   * @param options See {@linkcode RedisStorageOptions}.
   * @throws {ConfigurationError} An option has the wrong type or is out of range, the name
   *   is empty or contains a brace, or options contradict each other (e.g. `url` with
   *   `host`, or `expireTime` on a kind whose results do not expire).
   */
  constructor(name: string = "huey", options: RedisStorageOptions = {}) {
    super();
    const {
      blocking = true,
      readTimeout = 1,
      expireTime,
      notifyResult = false,
      ...connection
    } = options;
    checkStorageName(name);
    if (/[{}]/.test(name)) throw optionError("name", name, "a name without '{' or '}'");
    checkBoolean("blocking", blocking);
    this.#notifyResult = checkBoolean("notifyResult", notifyResult);
    if (this.#notifyResult) {
      this.waitForData = (key, timeout, signal) => {
        const context = () => this.#context();
        return waitForResult(this.#session, this.#results, context, key, timeout, signal);
      };
    }
    const model = this.queueModel();
    this.#results = this.resultModel();
    if (!this.#results.expiring && expireTime !== undefined) {
      throw new ConfigurationError(
        `Option 'expireTime' applies to RedisExpireStorage and PriorityRedisExpireStorage, ` +
          `not ${new.target.name}`,
      );
    }
    this.name = name;
    this.blocking = blocking;
    this.priority = model.priority;
    checkNumber("readTimeout", readTimeout, "> 0");
    this.#expireTime = checkNumber("expireTime", expireTime ?? 86400, "> 0");
    const plan = planConnection(connection);
    this.location = plan.address;
    this.#session = new RedisSession(plan, new.target.name, name);
    this.#keys = redisKeys(name);
    this.#tallies = new RedisTallies(this.#session, this.#keys);
    this.#events = new RedisEvents(this.#session, this.#keys);
    this.#parts = {
      counters: this.#tallies,
      dead: new RedisDeadLetters(this.#session, this.#keys),
      failures: new RedisFailures(this.#session, this.#keys),
      events: this.#events,
      heartbeats: new RedisHeartbeats(this.#session, this.#keys),
    };
    this.#queue = new RedisQueue({
      model,
      session: this.#session,
      keys: this.#keys,
      context: () => this.#context(),
      blocking,
      readTimeout,
      kind: new.target.name,
      revocationsInHash: !this.#results.expiring,
    });
  }

  /**
   * The queue layout of this kind: a LIST, or a ZSET for priorities.
   * @internal
   */
  protected abstract queueModel(): QueueModel;

  /**
   * The key/value layout of this kind: a HASH, or string keys whose results expire.
   * @internal
   */
  protected abstract resultModel(): ResultModel;

  /**
   * The parts that serve the counters, dead letters, failure records, event
   * reads and heartbeats (each step one command or one script).
   * @internal
   */
  protected override parts(): StorageParts {
    return this.#parts;
  }

  async #context(): Promise<RedisContext> {
    return {
      connection: await this.#session.connection(),
      keys: this.#keys,
      expireTime: this.#expireTime,
      notifyResult: this.#notifyResult,
    };
  }

  /** Adds a message to the queue (messages enqueued together go in one command). */
  enqueue(data: Uint8Array, priority?: number): Promise<void> {
    return this.#queue.enqueue(data, priority);
  }

  /** Adds messages to the queue in order: one command (or script) per thousand. */
  enqueueMany(items: ReadonlyArray<{ data: Uint8Array; priority?: number }>): Promise<void> {
    return this.#queue.enqueueMany(items);
  }

  /**
   * Takes the next message. With `blocking`, waits up to `readTimeout`
   * seconds for one (resolving to `null` at once when `signal` aborts).
   */
  dequeue(options: DequeueOptions = {}): Promise<Delivery | null> {
    return this.#queue.dequeue(options);
  }

  /** Removes a leased message for good. Unknown or outdated receipts are ignored. */
  async ack(receipt: string): Promise<void> {
    await this.#completions.call({ receipt });
  }

  /** Removes `deleteKeys`, stores `result`, appends `events`, acks `receipt`: one script for a turn's calls. */
  async finish(receipt: string | null, options: FinishOptions): Promise<void> {
    if (options.events) checkEventsToAdd(options.events);
    await this.#completions.call({ ...options, receipt });
  }

  /** Extends these leases to `lease` seconds from now (Redis's clock). */
  renew(receipts: readonly string[], lease: number): Promise<void> {
    return this.#queue.renew(receipts, lease);
  }

  /** Puts a leased message back at the head of the queue. */
  release(receipt: string): Promise<void> {
    return this.#queue.release(receipt);
  }

  /** How many messages are waiting (expired leases are recovered first). */
  queueSize(): Promise<number> {
    return this.#queue.queueSize();
  }

  /** The waiting messages in dequeue order, at most `limit`. */
  enqueuedItems(limit?: number): Promise<Uint8Array[]> {
    return this.#queue.enqueuedItems(limit);
  }

  /** Empties the queue, leased messages included. */
  flushQueue(): Promise<void> {
    return this.#queue.flushQueue();
  }

  /** Adds a message to the schedule, for `eta` (epoch ms), to be enqueued with `priority`. */
  addToSchedule(data: Uint8Array, eta: number, priority?: number): Promise<void> {
    return this.#queue.addToSchedule(data, eta, priority);
  }

  /** Removes and returns the messages due at `now` (epoch ms), in eta order, atomically. */
  readSchedule(now: number): Promise<Uint8Array[]> {
    return this.#queue.readSchedule(now);
  }

  /** Moves up to `limit` due messages to the queue, in eta order, with their priorities: one script. */
  moveDue(now: number, limit: number): Promise<Uint8Array[]> {
    return this.#queue.moveDue(now, limit);
  }

  /** How many messages are scheduled. */
  scheduleSize(): Promise<number> {
    return this.#queue.scheduleSize();
  }

  /** The scheduled messages, soonest first, at most `limit`. */
  scheduledItems(limit?: number): Promise<Uint8Array[]> {
    return this.#queue.scheduledItems(limit);
  }

  /** Empties the schedule. */
  flushSchedule(): Promise<void> {
    return this.#queue.flushSchedule();
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
    if (ttl !== undefined) checkNumber("ttl", ttl, "> 0");
    const context = await this.#context();
    return await this.#results.putIfEmpty(context, key, value, ttl && milliseconds(ttl));
  }

  /** Removes the key only while it holds exactly `value`, atomically; `true` when it did. */
  async deleteIfEquals(key: string, value: Uint8Array): Promise<boolean> {
    return await this.#results.deleteIfEquals(await this.#context(), key, value);
  }

  /**
   * Enqueues `items` (schedules those with an `eta`) and sets `marker` for
   * `ttl` seconds, unless it is set: one script.
   */
  enqueueOnce(
    marker: string,
    items: readonly OnceItem[],
    options: EnqueueOnceOptions,
  ): Promise<boolean> {
    return this.#queue.enqueueOnce(marker, items, options);
  }

  /** Removes a marker of `enqueueOnce`, in one script; `true` when it was set. */
  deleteMarker(marker: string): Promise<boolean> {
    return this.#tallies.deleteMarker(marker);
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

  /** Appends events to the log, in the completion script of the turn's `finish` calls (call order kept). */
  async addEvents(events: EventsToAdd): Promise<void> {
    await this.#completions.call({ receipt: null, events: checkEventsToAdd(events) });
  }

  /** Resolves `true` once the log holds an event after `after`, waiting with a blocking `XREAD`. */
  waitForEvents(after: string | null, timeout: number, signal?: AbortSignal): Promise<boolean> {
    return this.#events.wait(after, timeout, signal);
  }

  /**
   * Empties the queue, the schedule, the key/value store, the markers, the
   * counters, the member sets, the dead letters, the failure records, the
   * event log and the heartbeats.
   */
  async flushAll(): Promise<void> {
    const context = await this.#context();
    await context.connection.del(flushedKeys(this.#keys));
    await this.#events.flush();
    await this.#results.flush(context);
    await this.#tallies.flush();
  }

  /**
   * Closes the connections this storage opened (a client given in the
   * options stays open). A blocking `dequeue` in progress resolves to `null`.
   */
  async close(): Promise<void> {
    await this.#session.close();
  }

  /** Closes the storage, for `await using`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
