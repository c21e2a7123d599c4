/**
 * SQLite storage on `node:sqlite`, the same driver on Deno, Node >= 22 and
 * Bun (no native addon). One file serves many queue names and many producer
 * and consumer processes: every write is one statement or one
 * `BEGIN IMMEDIATE` transaction, so processes serialize on the busy timeout.
 *
 * @module
 */
import { resolve } from "node:path";
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
import { checkNumber } from "../_options.ts";
import { checkStorageName } from "./_check.ts";
import { DelegatingStorage, type StorageParts } from "./_delegating.ts";
import { dataOf, FLUSH_ALL, sqlLimit, type Statements } from "./_sqlite_schema.ts";
import { checkSqliteOptions, type SqliteStorageOptions } from "./_sqlite_open.ts";
import { SqliteConnection } from "./_sqlite_connection.ts";
import { fileSignal } from "./_sqlite_wait.ts";
import {
  addsEvents,
  parseReceipt,
  recoverExpired,
  runSteps,
  type Step,
  writesOf,
} from "./_sqlite_steps.ts";
import { Batcher } from "./_batch.ts";
import { checkOnceItems } from "./_tally.ts";
import { SqliteDeadLetters } from "./_sqlite_dead.ts";
import { checkEventsToAdd } from "./_event_check.ts";
import { SqliteEvents } from "./_sqlite_events.ts";
import { SqliteHeartbeats } from "./_sqlite_heartbeats.ts";
import { SqliteFailures } from "./_sqlite_failures.ts";
import { SqliteKeyValues } from "./_sqlite_kv.ts";
import { SqliteSchedule } from "./_sqlite_schedule.ts";
import { SqliteTallies } from "./_sqlite_tallies.ts";

export type { SqliteStorageOptions } from "./_sqlite_open.ts";

/** How often a blocking `dequeue` looks again when the file cannot be watched, in ms. */
const POLL_MS = 50;

/**
 * Storage in one SQLite file (huey's `SqliteStorage`): priorities (REAL,
 * higher first, FIFO within), leases with receipts unique per delivery,
 * expiring keys, dead letters, and a schema version for later migrations.
 *
 * @example
 * ```ts
 * import { SqliteStorage } from "./sqlite.ts";
 * const storage = new SqliteStorage("my-app", { filename: ":memory:" });
 * await storage.enqueue(new TextEncoder().encode("hello"), 5);
 * const delivery = await storage.dequeue({ lease: 30 });
 * if (delivery?.receipt) await storage.ack(delivery.receipt);
 * await storage.close();
 * ```
 */
export class SqliteStorage extends DelegatingStorage implements Storage {
  /** The queue name. */
  readonly name: string;
  /** `dequeue` waits up to `readTimeout` for a message (option `blocking`); else the consumer polls. */
  readonly blocking: boolean;
  /** Priorities are honoured. */
  readonly priority = true;
  /** The database file's absolute path (a relative `filename` resolves against the working directory), or `:memory:`. */
  readonly location: string;
  #connection: SqliteConnection;
  /** Receipts are `<row id>:<prefix><counter>`: unique per delivery across connections. */
  #tokenPrefix = crypto.randomUUID().slice(0, 13);
  #schedule: SqliteSchedule;
  #values: SqliteKeyValues;
  #tallies: SqliteTallies;
  #events: SqliteEvents;
  #parts: StorageParts;
  #deliveries = 0;
  #readTimeout: number;
  #wake: ReturnType<typeof fileSignal>;
  /** Wakes followers of the event log (apart from `#wake`: events must not wake blocked dequeues). */
  #eventWake: ReturnType<typeof fileSignal>;
  // The writes asked for in the same turn of the event loop share one transaction.
  #steps = new Batcher<Step, Delivery | null | undefined>((steps) => this.#runSteps(steps));

  /**
   * Opens (and creates or migrates) the database file.
   *
   * @param name The queue name; several names share one file and stay separate.
   * @param options See {@linkcode SqliteStorageOptions}.
   * @throws {ConfigurationError} An option has the wrong type or is out of range,
   *   `filename`'s folder does not exist, or this runtime has no `node:sqlite` (Node < 22.13).
   * @throws {HueyError} The file's schema is newer than this version supports.
   */
  constructor(name = "huey", options: SqliteStorageOptions = {}) {
    super();
    this.name = checkStorageName(name);
    const settings = checkSqliteOptions(options);
    const { filename, journalMode } = settings;
    this.blocking = settings.blocking;
    this.#readTimeout = settings.readTimeout;
    this.location = filename === ":memory:" ? filename : resolve(filename);
    this.#connection = new SqliteConnection(settings, this.name);
    this.#schedule = new SqliteSchedule(this.#connection, this.name);
    this.#tallies = new SqliteTallies(this.#connection, this.name);
    this.#values = new SqliteKeyValues(
      this.#connection,
      this.name,
      (sql, now) => this.#tallies.sweepNowAndThen(sql, now),
    );
    const memory = filename === ":memory:";
    const path = resolve(filename);
    // Outside WAL mode a commit rewrites the database file itself.
    const watched = memory ? null : journalMode === "wal" ? `${path}-wal` : path;
    const key = memory ? `:memory:${this.#tokenPrefix}` : path;
    this.#wake = fileSignal(key, watched);
    this.#eventWake = fileSignal(`${key}#events`, watched);
    this.#events = new SqliteEvents(this.#connection, this.name, this.#eventWake.signal);
    this.#parts = {
      counters: this.#tallies,
      dead: new SqliteDeadLetters(this.#connection, this.name),
      failures: new SqliteFailures(this.#connection, this.name),
      events: this.#events,
      heartbeats: new SqliteHeartbeats(this.#connection, this.name),
    };
  }

  /**
   * The parts that serve the counters, dead letters, failure records, event
   * reads and heartbeats (each in one statement or one transaction).
   * @internal
   */
  protected override parts(): StorageParts {
    return this.#parts;
  }

  #run<T>(fn: (sql: Statements) => T): Promise<T> {
    return this.#connection.run(fn);
  }

  /** Adds a message to the queue; higher `priority` first, FIFO within (messages enqueued together: one transaction). */
  async enqueue(data: Uint8Array, priority?: number): Promise<void> {
    await this.#steps.call({
      kind: "enqueue",
      data,
      priority: checkNumber("priority", priority ?? 0),
    });
  }

  /** Adds several messages in one transaction. */
  async enqueueMany(items: ReadonlyArray<{ data: Uint8Array; priority?: number }>): Promise<void> {
    const insert = (sql: Statements): void => {
      const priorities = items.map((item) => checkNumber("priority", item.priority ?? 0));
      items.forEach((item, i) => sql.enqueue.run(this.name, item.data, priorities[i]));
    };
    await this.#connection.write(items.length, insert);
    if (items.length > 0) this.#wake.signal.notify();
  }

  /**
   * Takes the next message: leased with a receipt when `lease > 0`, else
   * deleted. With `blocking`, waits up to `readTimeout` seconds for one
   * (resolving to `null` at once when `signal` aborts).
   */
  async dequeue(options: DequeueOptions = {}): Promise<Delivery | null> {
    const { signal, wait: mayWait = true } = options;
    const lease = checkNumber("lease", options.lease ?? 0, ">= 0");
    const deadline = Date.now() + this.#readTimeout * 1000;
    const wake = this.#wake.signal;
    try {
      while (!signal?.aborted) {
        const version = wake.version;
        const delivery = await this.#steps.call({ kind: "take", lease }) as Delivery | null;
        if (delivery || !this.blocking || !mayWait) return delivery;
        const remaining = deadline - Date.now();
        if (remaining <= 0) return null;
        // Look once more after the watch starts: a write just before it would go unseen.
        if (!wake.watching && wake.watch()) continue;
        const expiry = await this.#run((sql) =>
          (sql.nextExpiry.get(this.name) as { at: number | null }).at
        );
        let wait = expiry === null ? remaining : Math.min(remaining, expiry - Date.now() + 5);
        if (!wake.watching) wait = Math.min(wait, POLL_MS);
        await wake.wait(version, wait / 1000, signal);
        if (this.#connection.closed) return null;
      }
      return null;
    } finally {
      wake.settle();
    }
  }

  /** Runs a batch of writes in one transaction (see `runSteps`), and wakes waiters for enqueues. */
  async #runSteps(steps: Step[]): Promise<(Delivery | null | undefined)[]> {
    const writes = steps.reduce((sum, step) => sum + writesOf(step), 0);
    const answers = await this.#connection.write(writes, (sql) => {
      return runSteps(
        sql,
        this.name,
        steps,
        () => this.#tokenPrefix + (this.#deliveries++).toString(36),
      );
    });
    if (steps.some((step) => step.kind === "enqueue")) this.#wake.signal.notify();
    if (steps.some(addsEvents)) this.#eventWake.signal.notify();
    return answers;
  }

  /** Deletes the leased message, if this receipt still names its delivery. */
  async ack(receipt: string): Promise<void> {
    await this.#steps.call({ kind: "complete", item: { receipt } });
  }

  /**
   * Appends `events`, removes `deleteKeys`, stores `result`, then acks
   * `receipt`; tasks finished together share one transaction.
   */
  async finish(receipt: string | null, options: FinishOptions): Promise<void> {
    if (options.events) checkEventsToAdd(options.events);
    await this.#steps.call({ kind: "complete", item: { ...options, receipt } });
  }

  /** Sets each lease to `lease` seconds from now; unknown receipts are ignored. */
  renew(receipts: readonly string[], lease: number): Promise<void> {
    const parsed = receipts.map(parseReceipt).filter((receipt) => receipt !== null);
    return this.#connection.write(parsed.length, (sql) => {
      const until = Date.now() + checkNumber("lease", lease, ">= 0") * 1000;
      for (const receipt of parsed) sql.renew.run(until, ...receipt);
    });
  }

  /** Makes the leased message available again at once, in its old place. */
  async release(receipt: string): Promise<void> {
    await this.#run((sql) => {
      const parsed = parseReceipt(receipt);
      if (parsed) sql.release.run(...parsed);
    });
    this.#wake.signal.notify();
  }

  /** How many messages wait (leased ones excluded). */
  queueSize(): Promise<number> {
    return this.#run((sql) => {
      recoverExpired(sql, this.name);
      return (sql.queueSize.get(this.name) as { n: number }).n;
    });
  }

  /** The waiting messages in dequeue order. */
  enqueuedItems(limit?: number): Promise<Uint8Array[]> {
    return this.#run((sql) => {
      recoverExpired(sql, this.name);
      return dataOf(sql.queueItems.all(this.name, sqlLimit(limit)));
    });
  }

  /** Deletes every message of the queue, leased ones included. */
  flushQueue(): Promise<void> {
    return this.#run((sql) => void sql.flushQueue.run(this.name));
  }

  /** Schedules a message for `eta` (epoch ms), to be enqueued with `priority`. */
  addToSchedule(data: Uint8Array, eta: number, priority?: number): Promise<void> {
    return this.#schedule.add(data, eta, priority);
  }

  /** Moves up to `limit` due messages to the queue, soonest first, in one transaction. */
  async moveDue(now: number, limit: number): Promise<Uint8Array[]> {
    const moved = await this.#schedule.moveDue(now, limit);
    if (moved.length > 0) this.#wake.signal.notify();
    return moved;
  }

  /** Removes and returns the messages due at `now` (epoch ms), soonest first, in one statement. */
  readSchedule(now: number): Promise<Uint8Array[]> {
    return this.#schedule.takeDue(now);
  }

  /** How many messages are scheduled. */
  scheduleSize(): Promise<number> {
    return this.#schedule.size();
  }

  /** The scheduled messages, soonest first. */
  scheduledItems(limit?: number): Promise<Uint8Array[]> {
    return this.#schedule.items(sqlLimit(limit));
  }

  /** Deletes every scheduled message. */
  flushSchedule(): Promise<void> {
    return this.#schedule.flush();
  }

  /** Stores a value, replacing any other and clearing its expiry. */
  putData(key: string, value: Uint8Array): Promise<void> {
    return this.#values.put(key, value);
  }

  /** Reads a live value without removing it. */
  peekData(key: string): Promise<Uint8Array | null> {
    return this.#values.peek(key);
  }

  /** Reads and removes a value in one statement (an expired one reads as absent). */
  popData(key: string): Promise<Uint8Array | null> {
    return this.#values.pop(key);
  }

  /** Removes a value; `true` when a live one was there. */
  async deleteData(key: string): Promise<boolean> {
    return (await this.popData(key)) !== null;
  }

  /** Whether a live value is stored under the key. */
  async hasDataForKey(key: string): Promise<boolean> {
    return (await this.peekData(key)) !== null;
  }

  /** Stores the value if the key is empty or expired, in one statement; `true` when it did. */
  putIfEmpty(key: string, value: Uint8Array, options: PutIfEmptyOptions = {}): Promise<boolean> {
    return this.#values.putIfEmpty(key, value, options);
  }

  /** Deletes the key only while it holds exactly `value`, in one statement; `true` when it did. */
  deleteIfEquals(key: string, value: Uint8Array): Promise<boolean> {
    return this.#values.deleteIfEquals(key, value);
  }

  /**
   * Enqueues `items` (schedules those with an `eta`) and sets `marker` for
   * `ttl` seconds, unless it is set: one transaction.
   */
  async enqueueOnce(
    marker: string,
    items: readonly OnceItem[],
    options: EnqueueOnceOptions,
  ): Promise<boolean> {
    const ttl = checkNumber("ttl", options?.ttl, "> 0");
    const checked = checkOnceItems(items);
    const enqueued = await this.#connection.transaction((sql) => {
      const now = Date.now();
      sql.sweepMarkers.run(this.name, now);
      if (sql.setMarker.run(this.name, marker, now + ttl * 1000).changes === 0) return false;
      for (const { data, priority, eta } of checked) {
        if (eta === undefined) sql.enqueue.run(this.name, data, priority);
        else sql.schedule.run(this.name, data, eta, priority);
      }
      return true;
    });
    if (enqueued && checked.some((item) => item.eta === undefined)) this.#wake.signal.notify();
    return enqueued;
  }

  /** Removes a live marker of `enqueueOnce`, in one statement; `true` when it was set. */
  deleteMarker(marker: string): Promise<boolean> {
    return this.#tallies.deleteMarker(marker);
  }

  /** How many live keys are stored. */
  resultStoreSize(): Promise<number> {
    return this.#values.size();
  }

  /** Every live key and its value. */
  resultItems(): Promise<Map<string, Uint8Array>> {
    return this.#values.items();
  }

  /** Deletes every key. */
  flushResults(): Promise<void> {
    return this.#values.flush();
  }

  /**
   * Appends events to the log and drops the oldest beyond `maxLength`, in
   * the transaction of the writes asked for in the same turn (in call order
   * with `finish`).
   */
  async addEvents(events: EventsToAdd): Promise<void> {
    await this.#steps.call({ kind: "events", events: checkEventsToAdd(events) });
  }

  /**
   * Resolves `true` once the log holds an event after `after`, `false` on
   * timeout, abort or close: woken at once by writes of this thread, by a
   * watch on the file for other processes (polling when it cannot be watched).
   */
  waitForEvents(after: string | null, timeout: number, signal?: AbortSignal): Promise<boolean> {
    return this.#events.wait(after, timeout, signal);
  }

  /**
   * Empties the queue, schedule, keys, markers, counters, member sets, dead
   * letters, failure records, events and heartbeats of this name, in one
   * transaction.
   */
  flushAll(): Promise<void> {
    return this.#connection.transaction((sql) => {
      for (const statement of FLUSH_ALL) sql[statement].run(this.name);
    });
  }

  /**
   * Reads a PRAGMA of this connection, e.g. `busy_timeout`, `synchronous`,
   * `cache_size`, `journal_mode` or `user_version`.
   *
   * @param name The pragma's name.
   * @returns Its value (the first column of its first row), or `undefined`.
   */
  pragma(name: string): Promise<unknown> {
    return this.#connection.pragma(name);
  }

  /** Closes the connection; later calls reject, and a blocking `dequeue` resolves to `null`. Idempotent. */
  close(): Promise<void> {
    if (!this.#connection.closed) {
      this.#connection.close();
      this.#wake.release();
      this.#wake.signal.notify();
      this.#eventWake.release();
      this.#eventWake.signal.notify();
    }
    return Promise.resolve();
  }

  /** Closes the storage, for `await using`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
