/**
 * The queue part of the Redis storage engine: enqueues (batched), leases
 * (batched, sent at once), the blocking wait of `dequeue`, renew and
 * release, the views of the queue, the schedule and `enqueueOnce`. Its
 * layout (a LIST, or a ZSET for priorities) is the kind's
 * {@linkcode QueueModel}.
 *
 * @module
 * @internal
 */
import {
  type Delivery,
  type DequeueOptions,
  type EnqueueOnceOptions,
  INSTANCE_KEY_PREFIX,
  type OnceItem,
  TASK_KEY_PREFIX,
} from "./base.ts";
import { ConfigurationError } from "../errors.ts";
import { checkInteger, checkNumber } from "../_options.ts";
import { Batcher } from "./_batch.ts";
import { checkLimit } from "./_check.ts";
import type { RedisArgument, RedisConnection, RedisReply } from "./_redis_client.ts";
import {
  milliseconds,
  type QueueModel,
  type RedisContext,
  type RedisKeys,
} from "./_redis_layout.ts";
import { RENEW, SCHEDULE_ADD, SCHEDULE_POP } from "./_redis_queue_scripts.ts";
import { runScript, type Script, SEQUENCE_WIDTH } from "./_redis_scripts.ts";
import type { RedisSession } from "./_redis_session.ts";
import { checkOnceItems } from "./_tally.ts";

/** Elements after the sequence prefix (schedule members). */
function unprefix(element: Uint8Array): Uint8Array {
  return element.slice(SEQUENCE_WIDTH);
}

/**
 * The first `limit` members of a sorted set (all when `undefined`).
 *
 * @param session Gives the connection, opened on first use.
 * @param key The sorted set.
 * @param limit How many, checked.
 */
export async function firstMembers(
  session: RedisSession,
  key: string,
  limit: number | undefined,
): Promise<Uint8Array[]> {
  const checked = checkLimit(limit);
  const connection = await session.connection();
  if (checked === 0) return [];
  return await connection.zrange(key, 0, checked === Infinity ? -1 : checked - 1);
}

/** What a {@linkcode RedisQueue} is built from. */
export interface RedisQueueParts {
  /** The kind's queue layout. */
  model: QueueModel;
  /** The connections (the waiting one included). */
  session: RedisSession;
  /** The queue's key names. */
  keys: RedisKeys;
  /** The connection, keys and result ttl, the connection opened on first use. */
  context: () => Promise<RedisContext>;
  /** `dequeue` waits up to `readTimeout` seconds for a message. */
  blocking: boolean;
  /** How long a blocking `dequeue` waits, in seconds (checked). */
  readTimeout: number;
  /** The storage's kind, for the error of a priority it does not honour. */
  kind: string;
  /**
   * The key-value store is the HASH `keys.values`: a lease reads the
   * revocation keys of its messages in the same script (`Delivery.revocations`).
   */
  revocationsInHash: boolean;
}

/** What the lease script read of a message's revocation keys (see `QueueScripts.lease`). */
type RevocationReply = 0 | 1 | [Uint8Array | null, Uint8Array | null];

/** The revocations of a message whose keys were read and found neither set (shared: never changed). */
const NEITHER: readonly [null, null] = [null, null];

/** The queue and schedule of one Redis storage. */
export class RedisQueue {
  #model: QueueModel;
  #session: RedisSession;
  #keys: RedisKeys;
  #context: () => Promise<RedisContext>;
  #blocking: boolean;
  #readTimeout: number;
  #kind: string;
  /** The extra KEYS and ARGV of a lease that reads revocation keys, or none. */
  #revocationKeys: string[] = [];
  #revocationArgs: string[] = [];
  // Calls made in the same turn of the event loop share one round trip (see _batch.ts).
  #enqueues = new Batcher<{ data: Uint8Array; priority: number }, void>(async (items) => {
    await this.#model.enqueue(await this.#context(), items);
    return items.map(() => undefined);
  });
  // Leases go out at once, ahead of the stores that wait for the turn to end: a worker waits for them.
  #leases = new Batcher<number, Delivery | number>(
    (requests) => this.#lease(requests),
    { eager: true },
  );

  /** @param parts See {@linkcode RedisQueueParts}. */
  constructor(parts: RedisQueueParts) {
    this.#model = parts.model;
    this.#session = parts.session;
    this.#keys = parts.keys;
    this.#context = parts.context;
    this.#blocking = parts.blocking;
    this.#readTimeout = parts.readTimeout;
    this.#kind = parts.kind;
    if (parts.revocationsInHash) {
      this.#revocationKeys = [parts.keys.values, parts.keys.expiries];
      this.#revocationArgs = [INSTANCE_KEY_PREFIX, TASK_KEY_PREFIX];
    }
  }

  /** The connection, opened on first use. */
  #connection(): Promise<RedisConnection> {
    return this.#session.connection();
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
    return String(-this.checkPriority(priority) || 0);
  }

  /** A priority this kind honours (0 for none). */
  checkPriority(priority: number | undefined): number {
    if (priority === undefined || priority === 0) return 0;
    checkNumber("priority", priority);
    if (!this.#model.priority) {
      throw new ConfigurationError(
        `${this.#kind} has no priorities, got priority ${priority}: ` +
          `use PriorityRedisHuey (or PriorityRedisExpireHuey) for priorities`,
      );
    }
    return priority;
  }

  /** Adds a message to the queue (messages enqueued together go in one command). */
  async enqueue(data: Uint8Array, priority?: number): Promise<void> {
    await this.#enqueues.call({ data, priority: this.checkPriority(priority) });
  }

  /** Adds messages to the queue in order: one command (or script) per thousand. */
  async enqueueMany(items: ReadonlyArray<{ data: Uint8Array; priority?: number }>): Promise<void> {
    const checked = items.map(({ data, priority }) => ({
      data,
      priority: this.checkPriority(priority),
    }));
    const context = await this.#context();
    if (checked.length > 0) await this.#model.enqueue(context, checked);
  }

  /**
   * Takes the next message. With `blocking`, waits up to `readTimeout`
   * seconds for one (resolving to `null` at once when `signal` aborts).
   */
  async dequeue(options: DequeueOptions = {}): Promise<Delivery | null> {
    const { lease = 0, signal, wait: mayWait = true } = options;
    checkNumber("lease", lease, ">= 0");
    const deadline = Date.now() + this.#readTimeout * 1000;
    while (!signal?.aborted) {
      const reply = await this.#leases.call(lease > 0 ? milliseconds(lease) : 0);
      if (typeof reply !== "number") return reply;
      const remaining = deadline - Date.now();
      if (!this.#blocking || !mayWait || remaining <= 0) return null;
      // Wake up when a lease expires too: its message is then waiting.
      const nextExpiry = reply;
      const wait = nextExpiry >= 0 ? Math.min(remaining, nextExpiry + 5) : remaining;
      try {
        await this.#session.wait(this.#model.waitKey(this.#keys), wait / 1000, signal);
      } catch (error) {
        if (this.#session.closed) return null;
        throw error;
      }
    }
    return null;
  }

  /**
   * Leases a message for each request (its lease in ms), in one script per
   * lease time; each request gets its delivery, or the ms until the next
   * lease expires. The script names the receipts after one UUID per call,
   * and reads the messages' revocation keys when they are in the HASH.
   */
  async #lease(requests: number[]): Promise<(Delivery | number)[]> {
    const answers: (Delivery | number)[] = [];
    const reads = this.#revocationKeys.length > 0;
    const stride = reads ? 2 : 1;
    for (const lease of new Set(requests)) {
      const indexes = requests.flatMap((request, i) => request === lease ? [i] : []);
      const prefix = crypto.randomUUID();
      const reply = await this.#run(
        this.#model.scripts.lease,
        [...this.#queueKeys, ...this.#revocationKeys],
        [String(lease), prefix, String(indexes.length), ...this.#revocationArgs],
      ) as [number, ...(Uint8Array | RevocationReply)[]];
      indexes.forEach((index, i) => {
        const at = 1 + i * stride;
        const message = reply[at] as Uint8Array | undefined;
        if (message === undefined) {
          answers[index] = reply[0];
          return;
        }
        const data = this.#model.decode(message);
        const receipt = lease > 0 ? `${prefix}.${i + 1}` : null;
        const read = reads ? reply[at + 1] as RevocationReply : 0;
        answers[index] = read === 0
          ? { data, receipt }
          : { data, receipt, revocations: read === 1 ? NEITHER : read };
      });
    }
    return answers;
  }

  /** Extends these leases to `lease` seconds from now (Redis's clock). */
  async renew(receipts: readonly string[], lease: number): Promise<void> {
    checkNumber("lease", lease, ">= 0");
    const connection = await this.#connection();
    if (receipts.length === 0) return;
    await runScript(connection, RENEW, [this.#keys.leases], [
      String(milliseconds(lease)),
      ...receipts,
    ]);
  }

  /** Puts a leased message back at the head of the queue. */
  async release(receipt: string): Promise<void> {
    await this.#run(this.#model.scripts.release, this.#queueKeys, [receipt]);
  }

  /** How many messages are waiting (expired leases are recovered first). */
  async queueSize(): Promise<number> {
    return await this.#run(this.#model.scripts.view, this.#queueKeys, ["-2"]) as number;
  }

  /** The waiting messages in dequeue order, at most `limit`. */
  async enqueuedItems(limit?: number): Promise<Uint8Array[]> {
    const checked = checkLimit(limit);
    const count = checked === Infinity ? -1 : checked;
    const connection = await this.#connection();
    if (count === 0) return [];
    const reply = await runScript(connection, this.#model.scripts.view, this.#queueKeys, [
      String(count),
    ]);
    return (reply as Uint8Array[]).map((element) => this.#model.decode(element));
  }

  /** Empties the queue, leased messages included. */
  async flushQueue(): Promise<void> {
    const { queue, leases, leased, notify } = this.#keys;
    await (await this.#connection()).del([queue, leases, leased, notify]);
  }

  /** Adds a message to the schedule, for `eta` (epoch ms), to be enqueued with `priority`. */
  async addToSchedule(data: Uint8Array, eta: number, priority?: number): Promise<void> {
    checkNumber("eta", eta);
    const { schedule, sequence, schedulePriorities } = this.#keys;
    const args = [String(eta), data, this.#score(priority)];
    await this.#run(SCHEDULE_ADD, [schedule, sequence, schedulePriorities], args);
  }

  /** Removes and returns the messages due at `now` (epoch ms), in eta order, atomically. */
  async readSchedule(now: number): Promise<Uint8Array[]> {
    checkNumber("now", now);
    const { schedule, schedulePriorities } = this.#keys;
    const due = await this.#run(SCHEDULE_POP, [schedule, schedulePriorities], [String(now)]);
    return (due as Uint8Array[]).map(unprefix);
  }

  /** Moves up to `limit` due messages to the queue, in eta order, with their priorities: one script. */
  async moveDue(now: number, limit: number): Promise<Uint8Array[]> {
    checkNumber("now", now);
    checkInteger("limit", limit, 1);
    const { sequence, schedule, schedulePriorities } = this.#keys;
    const keys = [...this.#queueKeys, sequence, schedule, schedulePriorities];
    return await this.#run(this.#model.scripts.moveDue, keys, [
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
    return (await firstMembers(this.#session, this.#keys.schedule, limit)).map(unprefix);
  }

  /** Empties the schedule. */
  async flushSchedule(): Promise<void> {
    await (await this.#connection()).del([this.#keys.schedule, this.#keys.schedulePriorities]);
  }

  /**
   * Enqueues `items` (schedules those with an `eta`, with their priority)
   * and sets `marker` for `ttl` seconds, unless it is set: one script.
   */
  async enqueueOnce(
    marker: string,
    items: readonly OnceItem[],
    options: EnqueueOnceOptions,
  ): Promise<boolean> {
    const ttl = checkNumber("ttl", options?.ttl, "> 0");
    const args: RedisArgument[] = [marker, String(milliseconds(ttl))];
    for (const { data, priority, eta } of checkOnceItems(items)) {
      args.push(eta === undefined ? "" : String(eta), this.#score(priority), data);
    }
    const { sequence, markers, schedule, schedulePriorities } = this.#keys;
    const keys = [...this.#queueKeys, sequence, markers, schedule, schedulePriorities];
    return await this.#run(this.#model.scripts.enqueueOnce, keys, args) === 1;
  }
}
