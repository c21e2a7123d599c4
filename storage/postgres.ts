/**
 * The PostgreSQL storage (huey 3.1's `PostgresStorage`): for many consumers
 * on many machines, on a database you already run. Dequeues lease with
 * `SELECT ... FOR UPDATE SKIP LOCKED`, blocked consumers and result waiters
 * are woken by `LISTEN`/`NOTIFY`, leases and key expiries run on the
 * server's clock, and each operation is one statement (or one transaction).
 * A queue's tables live in a schema named after it, created on first use.
 *
 * postgres.js (npm `postgres`) is loaded on first use, never by importing
 * this module. Needs PostgreSQL 13 or later.
 *
 * @module
 */
import type {
  Delivery,
  DequeueOptions,
  EnqueueOnceOptions,
  EventsToAdd,
  FinishOptions,
  OnceItem,
  PutIfEmptyOptions,
  Storage,
} from "./base.ts";
import { checkBoolean, checkNumber, checkText } from "../_options.ts";
import { checkStorageName } from "./_check.ts";
import { DelegatingStorage, type StorageParts } from "./_delegating.ts";
import { planPostgres, type PostgresConnectOptions } from "./_postgres_client.ts";
import { PostgresDeadLetters } from "./_postgres_dead.ts";
import { PostgresEvents } from "./_postgres_events.ts";
import { PostgresFailures } from "./_postgres_failures.ts";
import { PostgresHeartbeats } from "./_postgres_heartbeats.ts";
import { PostgresQueue } from "./_postgres_queue.ts";
import { bytes } from "./_postgres_rows.ts";
import { checkSchemaName } from "./_postgres_schema.ts";
import { PostgresTallies } from "./_postgres_tallies.ts";
import { checkOnceItems } from "./_tally.ts";
import { PostgresSession } from "./_postgres_session.ts";

export type { PostgresSql } from "./_postgres_client.ts";
export { POSTGRES_SCHEMA_VERSION, postgresSchemaSql } from "./_postgres_schema.ts";

/** Options of {@linkcode PostgresStorage}: where to connect, how `dequeue` waits, the tables. */
export interface PostgresStorageOptions extends PostgresConnectOptions {
  /** `dequeue` waits up to `readTimeout` for a message when the queue is empty. @default true */
  blocking?: boolean;
  /** How long a blocking `dequeue` waits, in seconds. @default 1 */
  readTimeout?: number;
  /**
   * Create the queue's schema and tables on first use, or bring them
   * forward from an older version. `false`: they exist already (see
   * `postgresSchemaSql`), and the storage runs no DDL.
   * @default true
   */
  createTables?: boolean;
}

/** The longest a `waitForData` waits for a notification before it looks again, in ms. */
const MAX_KEY_WAIT = 5000;

/** How often (ms) a storage deletes expired keys, when it writes a key with a ttl. */
const SWEEP_INTERVAL = 60_000;

/**
 * Storage in PostgreSQL: priorities (higher first, FIFO within), leases on
 * the server's clock with receipts unique per delivery, expiring keys,
 * markers, counters, member sets and dead letters, in a schema named after
 * the queue (with a version, for later migrations). Several clients
 * (processes, machines) of the same name share one queue.
 *
 * @example
 * ```ts
 * import { PostgresStorage } from "./postgres.ts";
 * const storage = new PostgresStorage("my-app", { url: "postgres://localhost:5432/app" });
 * console.assert(storage.blocking && storage.priority); // connects on first use:
 * async function work(): Promise<void> {
 *   await storage.enqueue(new TextEncoder().encode("hello"), 5);
 *   const delivery = await storage.dequeue({ lease: 30 });
 *   if (delivery?.receipt) await storage.ack(delivery.receipt);
 * }
 * await storage.close();
 * ```
 */
export class PostgresStorage extends DelegatingStorage implements Storage {
  /** The queue name, and the name of the schema of its tables. */
  readonly name: string;
  /** `dequeue` waits up to `readTimeout` seconds for a message. */
  readonly blocking: boolean;
  /** Priorities are honoured. */
  readonly priority = true;
  /** The server's `host:port`. */
  readonly location: string;
  #session: PostgresSession;
  #queue: PostgresQueue;
  #events: PostgresEvents;
  #parts: StorageParts;
  #lastSweep = 0;

  /**
   * Checks the options; connects on first use.
   *
   * @param name The queue name: the schema of its tables (at most 63 bytes, not `pg_...`).
   * @param options See {@linkcode PostgresStorageOptions}.
   * @throws {ConfigurationError} An option has the wrong type or is out of range, the
   *   name cannot name a schema, or `url` and `sql` are both given.
   */
  constructor(name: string = "huey", options: PostgresStorageOptions = {}) {
    super();
    const { blocking = true, readTimeout = 1, createTables = true, ...connection } = options;
    this.name = checkSchemaName(checkStorageName(name));
    this.blocking = checkBoolean("blocking", blocking);
    checkNumber("readTimeout", readTimeout, "> 0");
    checkBoolean("createTables", createTables);
    const plan = planPostgres(connection);
    this.location = plan.address;
    this.#session = new PostgresSession(plan, name, createTables);
    this.#queue = new PostgresQueue(this.#session, blocking, readTimeout);
    this.#events = new PostgresEvents(this.#session);
    this.#parts = {
      counters: new PostgresTallies(this.#session),
      dead: new PostgresDeadLetters(this.#session),
      failures: new PostgresFailures(this.#session),
      events: this.#events,
      heartbeats: new PostgresHeartbeats(this.#session),
    };
  }

  /**
   * The parts that serve the counters, dead letters, failure records, event
   * reads and heartbeats (each one statement or one transaction).
   * @internal
   */
  protected override parts(): StorageParts {
    return this.#parts;
  }

  /** Adds a message to the queue; higher `priority` first (messages enqueued together: one statement). */
  enqueue(data: Uint8Array, priority?: number): Promise<void> {
    return this.#queue.enqueue(data, priority);
  }

  /** Adds messages to the queue in order, in one statement. */
  enqueueMany(items: ReadonlyArray<{ data: Uint8Array; priority?: number }>): Promise<void> {
    return this.#queue.enqueueMany(items);
  }

  /**
   * Takes the next message: leased with a receipt when `lease > 0`, else
   * deleted. With `blocking`, waits up to `readTimeout` seconds for one,
   * woken by `NOTIFY` (resolving to `null` at once when `signal` aborts).
   */
  dequeue(options?: DequeueOptions): Promise<Delivery | null> {
    return this.#queue.dequeue(options);
  }

  /** Removes a leased message for good (acks of one turn: one statement). Unknown or outdated receipts are ignored. */
  ack(receipt: string): Promise<void> {
    return this.#queue.ack(receipt);
  }

  /** Removes `deleteKeys`, stores `result`, appends `events`, acks `receipt`: a turn's calls share one statement. */
  finish(receipt: string | null, options: FinishOptions): Promise<void> {
    return this.#queue.finish(receipt, options);
  }

  /** Extends these leases to `lease` seconds from now (the server's clock), in one statement. */
  renew(receipts: readonly string[], lease: number): Promise<void> {
    return this.#queue.renew(receipts, lease);
  }

  /** Makes the leased message available again at once, in its old place. */
  release(receipt: string): Promise<void> {
    return this.#queue.release(receipt);
  }

  /** How many messages wait (leased ones excluded). */
  queueSize(): Promise<number> {
    return this.#queue.queueSize();
  }

  /** The waiting messages, in dequeue order. */
  enqueuedItems(limit?: number): Promise<Uint8Array[]> {
    return this.#queue.enqueuedItems(limit);
  }

  /** Deletes every message of the queue, leased ones included. */
  flushQueue(): Promise<void> {
    return this.#queue.flushQueue();
  }

  /** Schedules a message for `eta` (epoch ms), to be enqueued with `priority`. */
  addToSchedule(data: Uint8Array, eta: number, priority?: number): Promise<void> {
    return this.#queue.addToSchedule(data, eta, priority);
  }

  /** Removes and returns the messages due at `now` (epoch ms), soonest first, in one statement. */
  readSchedule(now: number): Promise<Uint8Array[]> {
    return this.#queue.readSchedule(now);
  }

  /** Moves up to `limit` due messages to the queue, soonest first, in one statement. */
  moveDue(now: number, limit: number): Promise<Uint8Array[]> {
    return this.#queue.moveDue(now, limit);
  }

  /** How many messages are scheduled. */
  scheduleSize(): Promise<number> {
    return this.#queue.scheduleSize();
  }

  /** The scheduled messages, soonest first. */
  scheduledItems(limit?: number): Promise<Uint8Array[]> {
    return this.#queue.scheduledItems(limit);
  }

  /** Deletes every scheduled message. */
  flushSchedule(): Promise<void> {
    return this.#queue.flushSchedule();
  }

  /** Stores a value, replacing any other and clearing its expiry. */
  async putData(key: string, value: Uint8Array): Promise<void> {
    await this.#session.query("put", [key, value]);
  }

  /** Reads a live value without removing it. */
  async peekData(key: string): Promise<Uint8Array | null> {
    const [row] = await this.#session.query("peek", [key]);
    return row ? bytes(row.value) : null;
  }

  /** Reads many live values in one statement, one per key (`null` when there is none). */
  async peekMany(keys: readonly string[]): Promise<(Uint8Array | null)[]> {
    if (keys.length === 0) return [];
    const rows = await this.#session.query("peekMany", [[...keys]]);
    const found = new Map(rows.map((row) => [row.key as string, bytes(row.value)]));
    return keys.map((key) => found.get(key) ?? null);
  }

  /** Reads and removes a value in one statement (an expired one reads as absent). */
  async popData(key: string): Promise<Uint8Array | null> {
    const [row] = await this.#session.query("pop", [key]);
    return row?.live ? bytes(row.value) : null;
  }

  /** Removes a value; `true` when a live one was there. */
  async deleteData(key: string): Promise<boolean> {
    return (await this.popData(key)) !== null;
  }

  /** Whether a live value is stored under the key. */
  hasDataForKey(key: string): Promise<boolean> {
    return this.#has(key);
  }

  async #has(key: string): Promise<boolean> {
    const [row] = await this.#session.query("has", [key]);
    return row?.found === true;
  }

  /**
   * Resolves to `true` once a value is stored under `key`, woken by the
   * `NOTIFY` of its write (and looking again every {@linkcode MAX_KEY_WAIT}
   * ms: a key too long to be notified, a notification lost while the
   * listener reconnected); to `false` after `timeout` ms (`Infinity`: no
   * limit) or when `signal` aborts.
   */
  async waitForData(key: string, timeout: number, signal?: AbortSignal): Promise<boolean> {
    const deadline = timeout === Infinity
      ? Infinity
      : Date.now() + checkNumber("timeout", timeout, ">= 0");
    await this.#session.listen();
    while (!signal?.aborted && !this.#session.closed) {
      const remaining = Math.min(deadline - Date.now(), MAX_KEY_WAIT);
      const waiting = this.#session.wakeups.waitKey(key, remaining, signal);
      if (await this.#has(key)) return true;
      await waiting;
      if (Date.now() >= deadline) return await this.#has(key);
    }
    return false;
  }

  /** Stores the value if the key is empty or expired, in one statement; `true` when it did. */
  async putIfEmpty(
    key: string,
    value: Uint8Array,
    options: PutIfEmptyOptions = {},
  ): Promise<boolean> {
    const { ttl } = options;
    if (ttl !== undefined) checkNumber("ttl", ttl, "> 0");
    // Expired keys read as absent; deleting them now and then keeps the table from growing
    // (the consumer takes a lock with a ttl every minute).
    if (ttl !== undefined && Date.now() - this.#lastSweep >= SWEEP_INTERVAL) {
      this.#lastSweep = Date.now();
      await this.#session.query("sweepKv");
    }
    return (await this.#session.query("putIfEmpty", [key, value, ttl ?? null])).length > 0;
  }

  /** Deletes the key only while it holds exactly `value`, in one statement; `true` when it did. */
  async deleteIfEquals(key: string, value: Uint8Array): Promise<boolean> {
    return (await this.#session.query("deleteIfEquals", [key, value])).length > 0;
  }

  /**
   * Enqueues `items` (an item with `eta` is scheduled) and sets `marker` for
   * `ttl` seconds, unless it is set: one statement.
   */
  async enqueueOnce(
    marker: string,
    items: readonly OnceItem[],
    options: EnqueueOnceOptions,
  ): Promise<boolean> {
    checkText("marker", marker);
    const ttl = checkNumber("ttl", options?.ttl, "> 0");
    const checked = checkOnceItems(items);
    const parameters = [
      marker,
      ttl,
      checked.map((item) => item.data),
      checked.map((item) => item.priority),
      checked.map((item) => item.eta ?? null),
    ];
    return await this.#session.count("enqueueOnce", parameters) > 0;
  }

  /** Removes a marker of `enqueueOnce`; `true` when it was set. */
  async deleteMarker(marker: string): Promise<boolean> {
    const [row] = await this.#session.query("deleteMarker", [marker]);
    return row?.live === true;
  }

  /** How many live keys are stored. */
  resultStoreSize(): Promise<number> {
    return this.#session.count("kvSize");
  }

  /** Every live key and its value. */
  async resultItems(): Promise<Map<string, Uint8Array>> {
    const rows = await this.#session.query("kvItems");
    return new Map(rows.map((row) => [row.key as string, bytes(row.value)]));
  }

  /** Deletes every key. */
  async flushResults(): Promise<void> {
    await this.#session.query("flushKv");
  }

  /** Appends events to the log (in the statement of the turn's `finish` calls, in call order). */
  addEvents(events: EventsToAdd): Promise<void> {
    return this.#queue.addEvents(events);
  }

  /** Resolves `true` once the log holds an event after `after`, woken by `NOTIFY`. */
  waitForEvents(after: string | null, timeout: number, signal?: AbortSignal): Promise<boolean> {
    return this.#events.wait(after, timeout, signal);
  }

  /**
   * Empties the queue, the schedule, the keys, the markers, the counters,
   * the member sets, the dead letters, the failure records, the event log
   * and the heartbeats, in one transaction.
   */
  async flushAll(): Promise<void> {
    await this.#session.transaction(async (run) => {
      const statements = [
        "flushQueue",
        "flushSchedule",
        "flushKv",
        "flushMarkers",
        "flushCounters",
        "flushMembers",
        "flushDead",
        "flushFailures",
        "flushEvents",
        "flushHeartbeats",
      ] as const;
      for (const statement of statements) await run(statement);
    });
  }

  /**
   * Stops listening and ends the pool this storage opened (an instance given
   * as `sql` stays open); later calls reject, and a blocking `dequeue` in
   * progress resolves to `null`. Idempotent.
   */
  close(): Promise<void> {
    return this.#session.close();
  }

  /** Closes the storage, for `await using`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
