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
  DeadLetter,
  Delivery,
  DequeueOptions,
  EnqueueOnceOptions,
  FinishOptions,
  OnceItem,
  PutIfEmptyOptions,
  Storage,
  TallyOptions,
} from "./base.ts";
import { checkInteger, checkNumber } from "../_options.ts";
import { checkLimit, checkStorageName } from "./_check.ts";
import type { Statements } from "./_sqlite_schema.ts";
import { checkSqliteOptions, type SqliteStorageOptions } from "./_sqlite_open.ts";
import { SqliteConnection } from "./_sqlite_connection.ts";
import { fileSignal } from "./_sqlite_wait.ts";
import { parseReceipt, recoverExpired, runSteps, type Step, writesOf } from "./_sqlite_steps.ts";
import { Batcher } from "./_batch.ts";
import { checkIncrement, checkMember, checkOnceItems, checkTallyTtl } from "./_tally.ts";
import {
  addSetMember,
  deleteCounter,
  deleteMemberSet,
  incrCounter,
  sweepExpired,
} from "./_sqlite_tallies.ts";

export type { SqliteStorageOptions } from "./_sqlite_open.ts";

/**
 * How often (ms) a connection deletes expired keys, counters and member sets,
 * when it writes one with a ttl.
 */
const SWEEP_INTERVAL = 60_000;

/** How often a blocking `dequeue` looks again when the file cannot be watched, in ms. */
const POLL_MS = 50;

/** The statements that empty each table of a queue name, for `flushAll`. */
const FLUSH_ALL = [
  "flushQueue",
  "flushSchedule",
  "flushKv",
  "flushMarkers",
  "flushCounters",
  "flushMembers",
  "flushMemberSets",
  "flushDead",
] as const;

/** The `data` column of each row. */
function dataOf(rows: unknown[]): Uint8Array[] {
  return (rows as { data: Uint8Array }[]).map((row) => row.data);
}

/** `limit` of the listing methods: `undefined` is all (`-1` for SQLite). */
function sqlLimit(limit: number | undefined): number {
  const checked = checkLimit(limit);
  return checked === Infinity ? -1 : checked;
}

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
export class SqliteStorage implements Storage {
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
  /** When this connection last deleted expired rows (epoch ms); 0: not yet. */
  #lastSweep = 0;
  #deliveries = 0;
  #readTimeout: number;
  #wake: ReturnType<typeof fileSignal>;
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
    this.name = checkStorageName(name);
    const settings = checkSqliteOptions(options);
    const { filename, journalMode } = settings;
    this.blocking = settings.blocking;
    this.#readTimeout = settings.readTimeout;
    this.location = filename === ":memory:" ? filename : resolve(filename);
    this.#connection = new SqliteConnection(settings, this.name);
    const memory = filename === ":memory:";
    const path = resolve(filename);
    // Outside WAL mode a commit rewrites the database file itself.
    const watched = memory ? null : journalMode === "wal" ? `${path}-wal` : path;
    this.#wake = fileSignal(memory ? `:memory:${this.#tokenPrefix}` : path, watched);
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
    return answers;
  }

  /** Deletes the leased message, if this receipt still names its delivery. */
  async ack(receipt: string): Promise<void> {
    await this.#steps.call({ kind: "complete", item: { receipt } });
  }

  /** Removes `deleteKeys`, stores `result`, then acks `receipt`; tasks finished together share one transaction. */
  async finish(receipt: string | null, options: FinishOptions): Promise<void> {
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
    return this.#run((sql) => {
      const checked = checkNumber("priority", priority ?? 0);
      sql.schedule.run(this.name, data, checkNumber("eta", eta), checked);
    });
  }

  /** Moves up to `limit` due messages to the queue, soonest first, in one transaction. */
  async moveDue(now: number, limit: number): Promise<Uint8Array[]> {
    const moved = await this.#connection.transaction((sql) => {
      const rows = sql.due.all(
        this.name,
        checkNumber("now", now),
        checkInteger("limit", limit, 1),
      ) as unknown[] as { id: number; data: Uint8Array; priority: number }[];
      for (const row of rows) {
        sql.enqueue.run(this.name, row.data, row.priority);
        sql.unschedule.run(row.id);
      }
      return dataOf(rows);
    });
    if (moved.length > 0) this.#wake.signal.notify();
    return moved;
  }

  /** Removes and returns the messages due at `now` (epoch ms), soonest first, in one statement. */
  readSchedule(now: number): Promise<Uint8Array[]> {
    return this.#run((sql) => {
      const rows = sql.readSchedule.all(this.name, checkNumber("now", now)) as {
        id: number;
        data: Uint8Array;
        eta: number;
      }[];
      // RETURNING yields rows in no particular order.
      return dataOf(rows.sort((a, b) => a.eta - b.eta || a.id - b.id));
    });
  }

  /** How many messages are scheduled. */
  scheduleSize(): Promise<number> {
    return this.#run((sql) => (sql.scheduleSize.get(this.name) as { n: number }).n);
  }

  /** The scheduled messages, soonest first. */
  scheduledItems(limit?: number): Promise<Uint8Array[]> {
    return this.#run((sql) => dataOf(sql.scheduleItems.all(this.name, sqlLimit(limit))));
  }

  /** Deletes every scheduled message. */
  flushSchedule(): Promise<void> {
    return this.#run((sql) => void sql.flushSchedule.run(this.name));
  }

  /** Stores a value, replacing any other and clearing its expiry. */
  putData(key: string, value: Uint8Array): Promise<void> {
    return this.#run((sql) => void sql.put.run(this.name, key, value));
  }

  /** Reads a live value without removing it. */
  peekData(key: string): Promise<Uint8Array | null> {
    return this.#run((sql) => {
      const row = sql.peek.get(this.name, key, Date.now()) as { value: Uint8Array } | undefined;
      return row ? row.value : null;
    });
  }

  /** Reads and removes a value in one statement (an expired one reads as absent). */
  popData(key: string): Promise<Uint8Array | null> {
    return this.#run((sql) => {
      const row = sql.pop.get(this.name, key) as
        | { value: Uint8Array; expires: number | null }
        | undefined;
      return row && (row.expires === null || row.expires > Date.now()) ? row.value : null;
    });
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
    return this.#run((sql) => {
      const now = Date.now();
      const { ttl } = options;
      const expires = ttl === undefined ? null : now + checkNumber("ttl", ttl, "> 0") * 1000;
      if (expires !== null) this.#sweep(sql, now);
      return sql.putIfEmpty.run(this.name, key, value, expires, now).changes > 0;
    });
  }

  /** Deletes the key only while it holds exactly `value`, in one statement; `true` when it did. */
  deleteIfEquals(key: string, value: Uint8Array): Promise<boolean> {
    return this.#run((sql) => {
      return sql.deleteIfEquals.run(this.name, key, value, Date.now()).changes > 0;
    });
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
    return this.#run((sql) => sql.deleteMarker.run(this.name, marker, Date.now()).changes > 0);
  }

  /** Adds `by` to a counter (created with `ttl`), in one statement; resolves to its new value. */
  async incr(key: string, by?: number, options?: TallyOptions): Promise<number> {
    const step = checkIncrement(by);
    const ttl = checkTallyTtl(options);
    return await this.#run((sql) => {
      if (ttl !== undefined) this.#sweep(sql, Date.now());
      return incrCounter(sql, this.name, key, step, ttl);
    });
  }

  /** Removes a counter, in one statement; `true` when a live one was there. */
  deleteCounter(key: string): Promise<boolean> {
    return this.#run((sql) => deleteCounter(sql, this.name, key));
  }

  /** Adds a member to a set (created with `ttl`), in one transaction; resolves to its size. */
  async addMember(key: string, member: string, options?: TallyOptions): Promise<number> {
    const checked = checkMember(member);
    const ttl = checkTallyTtl(options);
    if (ttl !== undefined) await this.#run((sql) => this.#sweep(sql, Date.now()));
    return await this.#connection.transaction((sql) => {
      return addSetMember(sql, this.name, key, checked, ttl);
    });
  }

  /** Removes a member set, in one transaction; `true` when a live one was there. */
  deleteMembers(key: string): Promise<boolean> {
    return this.#connection.transaction((sql) => deleteMemberSet(sql, this.name, key));
  }

  /**
   * Deletes expired keys, counters and member sets once per
   * `SWEEP_INTERVAL`: they read as absent, and deleting them keeps the
   * tables from growing (a lock or a rate-limit window every minute).
   */
  #sweep(sql: Statements, now: number): void {
    if (now - this.#lastSweep < SWEEP_INTERVAL) return;
    this.#lastSweep = now;
    sweepExpired(sql, this.name, now);
  }

  /** How many live keys are stored. */
  resultStoreSize(): Promise<number> {
    return this.#run((sql) => (sql.kvSize.get(this.name, Date.now()) as { n: number }).n);
  }

  /** Every live key and its value. */
  resultItems(): Promise<Map<string, Uint8Array>> {
    return this.#run((sql) => {
      const rows = sql.kvItems.all(this.name, Date.now()) as { key: string; value: Uint8Array }[];
      return new Map(rows.map((row) => [row.key, row.value]));
    });
  }

  /** Deletes every key. */
  flushResults(): Promise<void> {
    return this.#run((sql) => void sql.flushKv.run(this.name));
  }

  /** Stores a dead letter (ids are never reused) and acks `receipt`, in one transaction. */
  addDeadLetter(data: Uint8Array, reason: string, receipt: string | null = null): Promise<string> {
    const leased = receipt === null ? null : parseReceipt(receipt);
    return this.#connection.write(leased ? 2 : 1, (sql) => {
      const row = sql.addDead.get(this.name, data, String(reason), Date.now()) as { id: number };
      if (leased) sql.ack.run(...leased);
      return String(row.id);
    });
  }

  /** The dead letters, oldest first. */
  deadLetters(limit?: number): Promise<DeadLetter[]> {
    return this.#run((sql) => {
      const rows = sql.deadLetters.all(this.name, sqlLimit(limit)) as {
        id: number;
        data: Uint8Array;
        reason: string;
        at: number;
      }[];
      return rows.map((row) => ({ ...row, id: String(row.id), at: new Date(row.at) }));
    });
  }

  /** Removes one dead letter and returns its message, or `null` for an unknown id. */
  takeDeadLetter(id: string): Promise<Uint8Array | null> {
    return this.#run((sql) => {
      if (!/^\d{1,15}$/.test(id)) return null;
      const row = sql.takeDead.get(this.name, Number(id)) as { data: Uint8Array } | undefined;
      return row ? row.data : null;
    });
  }

  /** Deletes every dead letter; resolves to how many there were. */
  flushDeadLetters(): Promise<number> {
    return this.#run((sql) => Number(sql.flushDead.run(this.name).changes));
  }

  /**
   * Empties the queue, schedule, keys, markers, counters, member sets and
   * dead letters of this name, in one transaction.
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
    }
    return Promise.resolve();
  }

  /** Closes the storage, for `await using`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
