/**
 * SQLite storage on `node:sqlite`, the same driver on Deno, Node >= 22 and
 * Bun (no native addon). One file serves many queue names and many producer
 * and consumer processes: every write is one statement or one
 * `BEGIN IMMEDIATE` transaction, so processes serialize on the busy timeout.
 *
 * @module
 */
import { existsSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { DatabaseSync, type StatementSync } from "node:sqlite";
import { HueyError } from "../errors.ts";
import type { DeadLetter, Delivery, DequeueOptions, PutIfEmptyOptions, Storage } from "./base.ts";

/** Options of {@linkcode SqliteStorage}. */
export interface SqliteStorageOptions {
  /**
   * The database file; its folder must exist. `":memory:"` keeps the data in
   * this connection only.
   * @default "huey.db"
   */
  filename?: string;
  /** Page cache of this connection, in megabytes. @default 8 */
  cacheMb?: number;
  /** Sync every commit to disk (`synchronous=FULL`); otherwise `NORMAL`. @default false */
  fsync?: boolean;
  /**
   * SQLite journal mode: `wal`, `delete`, `truncate`, `persist`, `memory` or `off`.
   * @default "wal"
   */
  journalMode?: string;
  /** How long to wait for another process's write lock, in seconds (busy timeout). @default 5 */
  timeout?: number;
  /**
   * Task ids are never reused (`AUTOINCREMENT`), even after the newest task
   * is deleted; turning it on for an existing file rebuilds its task table.
   * @default false
   */
  strictFifo?: boolean;
}

/** Journal modes SQLite accepts. */
const JOURNAL_MODES = ["wal", "delete", "truncate", "persist", "memory", "off"];

/**
 * The queue: `lease_until` is 0 while a message waits, else the epoch ms its
 * lease ends; `receipt` is the token of the current delivery. The index serves
 * dequeue (`lease_until = 0`, by priority then id) and expiry scans alike.
 */
const TASK_TABLE = (strictFifo: boolean): string =>
  `CREATE TABLE task (id INTEGER PRIMARY KEY${strictFifo ? " AUTOINCREMENT" : ""},
    queue TEXT NOT NULL, data BLOB NOT NULL, priority REAL NOT NULL DEFAULT 0,
    lease_until REAL NOT NULL DEFAULT 0, receipt TEXT);
  CREATE INDEX task_queue_lease ON task (queue, lease_until, priority DESC, id)`;

/** Version 0 (an empty file) to 1: huey's layout plus leases, key expiry and dead letters. */
function createVersion1(db: DatabaseSync, strictFifo: boolean): void {
  db.exec(`${TASK_TABLE(strictFifo)};
    CREATE TABLE schedule (id INTEGER PRIMARY KEY, queue TEXT NOT NULL, data BLOB NOT NULL,
      eta REAL NOT NULL);
    CREATE INDEX schedule_queue_eta ON schedule (queue, eta, id);
    CREATE TABLE kv (queue TEXT NOT NULL, key TEXT NOT NULL, value BLOB NOT NULL, expires REAL,
      PRIMARY KEY (queue, key)) WITHOUT ROWID;
    CREATE TABLE dead_letter (id INTEGER PRIMARY KEY AUTOINCREMENT, queue TEXT NOT NULL,
      data BLOB NOT NULL, reason TEXT NOT NULL, at REAL NOT NULL);
    CREATE INDEX dead_letter_queue ON dead_letter (queue, id);`);
}

/** `MIGRATIONS[v]` brings a database at schema version `v` to `v + 1`. */
const MIGRATIONS: ReadonlyArray<(db: DatabaseSync, strictFifo: boolean) => void> = [
  createVersion1,
];

/** The schema version this module writes, kept in `PRAGMA user_version`. */
export const SQLITE_SCHEMA_VERSION: number = MIGRATIONS.length;

/** Rebuilds the task table with `AUTOINCREMENT` when a file made without `strictFifo` gets it. */
function ensureStrictFifo(db: DatabaseSync): void {
  const row = db.prepare("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'task'")
    .get() as { sql: string };
  if (/AUTOINCREMENT/i.test(row.sql)) return;
  db.exec(`ALTER TABLE task RENAME TO task_old; DROP INDEX task_queue_lease;
    ${TASK_TABLE(true)}; INSERT INTO task SELECT * FROM task_old; DROP TABLE task_old;`);
}

/**
 * Brings the schema of an open database forward to {@linkcode SQLITE_SCHEMA_VERSION}
 * in one `BEGIN IMMEDIATE` transaction, so processes opening one file together
 * migrate it once.
 *
 * @example
 * ```ts
 * import { DatabaseSync } from "node:sqlite";
 * import { migrateSqliteSchema, SQLITE_SCHEMA_VERSION } from "./sqlite.ts";
 * const db = new DatabaseSync(":memory:");
 * console.assert(migrateSqliteSchema(db) === SQLITE_SCHEMA_VERSION);
 * db.close();
 * ```
 *
 * @param db An open connection.
 * @param options `strictFifo`: make task ids never reused (rebuilds an existing task table).
 * @returns The version the database had before.
 * @throws {HueyError} The file was written by a newer version of this module.
 */
export function migrateSqliteSchema(
  db: DatabaseSync,
  options: { strictFifo?: boolean } = {},
): number {
  const { strictFifo = false } = options;
  db.exec("BEGIN IMMEDIATE");
  try {
    const { user_version: from } = db.prepare("PRAGMA user_version").get() as {
      user_version: number;
    };
    if (from > SQLITE_SCHEMA_VERSION) {
      throw new HueyError(
        `SQLite schema version ${from} is newer than this version supports ` +
          `(${SQLITE_SCHEMA_VERSION}): upgrade huey to open this file`,
      );
    }
    for (let version = from; version < SQLITE_SCHEMA_VERSION; version++) {
      MIGRATIONS[version](db, strictFifo);
    }
    if (strictFifo) ensureStrictFifo(db);
    db.exec(`PRAGMA user_version = ${SQLITE_SCHEMA_VERSION}`);
    db.exec("COMMIT");
    return from;
  } catch (error) {
    db.exec("ROLLBACK");
    throw error;
  }
}

/** Every statement the storage runs, prepared once per connection. */
const SQL = {
  begin: "BEGIN IMMEDIATE",
  commit: "COMMIT",
  rollback: "ROLLBACK",
  enqueue: "INSERT INTO task (queue, data, priority) VALUES (?, ?, ?)",
  hasExpired: "SELECT 1 FROM task WHERE queue = ? AND lease_until > 0 AND lease_until <= ? LIMIT 1",
  recover: "UPDATE task SET lease_until = 0, receipt = NULL " +
    "WHERE queue = ? AND lease_until > 0 AND lease_until <= ?",
  next:
    "SELECT id FROM task WHERE queue = ? AND lease_until = 0 ORDER BY priority DESC, id LIMIT 1",
  take: "DELETE FROM task WHERE id = (next) RETURNING data",
  lease: "UPDATE task SET lease_until = ?, receipt = ? WHERE id = (next) RETURNING id, data",
  ack: "DELETE FROM task WHERE id = ? AND receipt = ?",
  renew: "UPDATE task SET lease_until = ? WHERE id = ? AND receipt = ?",
  release: "UPDATE task SET lease_until = 0, receipt = NULL WHERE id = ? AND receipt = ?",
  queueSize: "SELECT count(*) AS n FROM task WHERE queue = ? AND lease_until = 0",
  queueItems: "SELECT data FROM task WHERE queue = ? AND lease_until = 0 " +
    "ORDER BY priority DESC, id LIMIT ?",
  flushQueue: "DELETE FROM task WHERE queue = ?",
  schedule: "INSERT INTO schedule (queue, data, eta) VALUES (?, ?, ?)",
  readSchedule: "DELETE FROM schedule WHERE queue = ? AND eta <= ? RETURNING id, data, eta",
  scheduleSize: "SELECT count(*) AS n FROM schedule WHERE queue = ?",
  scheduleItems: "SELECT data FROM schedule WHERE queue = ? ORDER BY eta, id LIMIT ?",
  flushSchedule: "DELETE FROM schedule WHERE queue = ?",
  put: "INSERT OR REPLACE INTO kv (queue, key, value, expires) VALUES (?, ?, ?, NULL)",
  putIfEmpty: "INSERT INTO kv (queue, key, value, expires) VALUES (?, ?, ?, ?) " +
    "ON CONFLICT (queue, key) DO UPDATE SET value = excluded.value, expires = excluded.expires " +
    "WHERE kv.expires IS NOT NULL AND kv.expires <= ?",
  peek: "SELECT value FROM kv WHERE queue = ? AND key = ? AND (expires IS NULL OR expires > ?)",
  pop: "DELETE FROM kv WHERE queue = ? AND key = ? RETURNING value, expires",
  kvSize: "SELECT count(*) AS n FROM kv WHERE queue = ? AND (expires IS NULL OR expires > ?)",
  kvItems: "SELECT key, value FROM kv WHERE queue = ? AND (expires IS NULL OR expires > ?)",
  flushKv: "DELETE FROM kv WHERE queue = ?",
  addDead: "INSERT INTO dead_letter (queue, data, reason, at) VALUES (?, ?, ?, ?) RETURNING id",
  deadLetters: "SELECT id, data, reason, at FROM dead_letter WHERE queue = ? ORDER BY id LIMIT ?",
  takeDead: "DELETE FROM dead_letter WHERE queue = ? AND id = ? RETURNING data",
  flushDead: "DELETE FROM dead_letter WHERE queue = ?",
};

type Statements = { [K in keyof typeof SQL]: StatementSync };

/** Prepares every statement once; `(next)` stands for the `next` subquery. */
function prepareAll(db: DatabaseSync): Statements {
  const statements = Object.entries(SQL).map(([key, sql]) => {
    return [key, db.prepare(sql.replace("(next)", `(${SQL.next})`))];
  });
  return Object.fromEntries(statements) as Statements;
}

/** The `data` column of each row. */
function dataOf(rows: unknown[]): Uint8Array[] {
  return (rows as { data: Uint8Array }[]).map((row) => row.data);
}

/** Checks a numeric option or argument: finite, and `>= 0` or `> 0` when asked. */
function checkNumber(option: string, value: unknown, sign?: ">= 0" | "> 0"): number {
  if (typeof value !== "number") {
    throw new TypeError(
      `Option '${option}' must be a number, got ${typeof value} ${String(value)}`,
    );
  }
  const inRange = sign === ">= 0" ? value >= 0 : sign === "> 0" ? value > 0 : true;
  if (!Number.isFinite(value) || !inRange) {
    throw new RangeError(
      `Option '${option}' must be a finite number${sign ? ` ${sign}` : ""}, got ${value}`,
    );
  }
  return value;
}

/** Checks a boolean option. */
function checkBoolean(option: string, value: unknown): boolean {
  if (typeof value !== "boolean") {
    throw new TypeError(
      `Option '${option}' must be a boolean, got ${typeof value} ${String(value)}`,
    );
  }
  return value;
}

/** `limit` of the listing methods: `undefined` is all (`-1` for SQLite). */
function sqlLimit(limit: number | undefined): number {
  return limit === undefined ? -1 : Math.floor(checkNumber("limit", limit, ">= 0"));
}

/** The row id a receipt `<id>:<token>` names, or `null` for a malformed one. */
function parseReceipt(receipt: string): [number, string] | null {
  if (typeof receipt !== "string") return null;
  const colon = receipt.indexOf(":");
  const id = Number(receipt.slice(0, colon));
  return colon > 0 && Number.isSafeInteger(id) ? [id, receipt.slice(colon + 1)] : null;
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
  /** `dequeue` returns at once; the consumer polls. */
  readonly blocking = false;
  /** Priorities are honoured. */
  readonly priority = true;
  #db: DatabaseSync;
  #sql: Statements;
  #closed = false;
  /** Receipts are `<row id>:<prefix><counter>`: unique per delivery across connections. */
  #tokenPrefix = crypto.randomUUID().slice(0, 13);
  #deliveries = 0;

  /**
   * Opens (and creates or migrates) the database file.
   *
   * @param name The queue name; several names share one file and stay separate.
   * @param options See {@linkcode SqliteStorageOptions}.
   * @throws {TypeError} An option has the wrong type.
   * @throws {RangeError} An option is out of range, or `filename`'s folder does not exist.
   * @throws {HueyError} The file's schema is newer than this version supports.
   */
  constructor(name = "huey", options: SqliteStorageOptions = {}) {
    const {
      filename = "huey.db",
      cacheMb = 8,
      fsync = false,
      journalMode = "wal",
      timeout = 5,
      strictFifo = false,
    } = options;
    if (typeof name !== "string" || name === "") {
      throw new TypeError(`Storage name must be a non-empty string, got ${String(name)}`);
    }
    if (typeof filename !== "string" || filename === "") {
      throw new TypeError(`Option 'filename' must be a non-empty string, got ${String(filename)}`);
    }
    const mode = String(journalMode).toLowerCase();
    if (typeof journalMode !== "string" || !JOURNAL_MODES.includes(mode)) {
      throw new RangeError(
        `Option 'journalMode' must be one of ${JOURNAL_MODES.join(", ")}, got ${journalMode}`,
      );
    }
    checkNumber("cacheMb", cacheMb, ">= 0");
    checkNumber("timeout", timeout, ">= 0");
    checkBoolean("fsync", fsync);
    checkBoolean("strictFifo", strictFifo);
    const folder = dirname(resolve(filename));
    if (filename !== ":memory:" && !existsSync(folder)) {
      throw new RangeError(
        `Option 'filename' names a file in a folder that does not exist: ${filename} (${folder})`,
      );
    }
    this.name = name;
    const busyMs = Math.round(timeout * 1000);
    this.#db = new DatabaseSync(filename, { timeout: busyMs });
    try {
      this.#db.exec(`PRAGMA busy_timeout = ${busyMs}`);
      // Switching the journal mode takes a lock: only do it when the file is not in it yet.
      const current = this.#db.prepare("PRAGMA journal_mode").get() as { journal_mode: string };
      if (current.journal_mode !== mode) this.#db.exec(`PRAGMA journal_mode = ${mode}`);
      this.#db.exec(`PRAGMA synchronous = ${fsync ? "FULL" : "NORMAL"}`);
      this.#db.exec(`PRAGMA cache_size = ${-Math.round(cacheMb * 1000)}`);
      migrateSqliteSchema(this.#db, { strictFifo });
      this.#sql = prepareAll(this.#db);
    } catch (error) {
      this.#db.close();
      throw error;
    }
  }

  /** Runs `fn` on the open connection; a throw becomes a rejection. */
  #run<T>(fn: (sql: Statements) => T): Promise<T> {
    try {
      if (this.#closed) throw new HueyError(`SqliteStorage '${this.name}' is closed`);
      return Promise.resolve(fn(this.#sql));
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** Runs `fn`, in one `BEGIN IMMEDIATE` transaction when it makes several `writes`. */
  #write<T>(writes: number, fn: (sql: Statements) => T): Promise<T> {
    if (writes < 2) return this.#run(fn);
    return this.#run((sql) => {
      sql.begin.run();
      try {
        const value = fn(sql);
        sql.commit.run();
        return value;
      } catch (error) {
        sql.rollback.run();
        throw error;
      }
    });
  }

  /** Puts messages whose lease expired back on the queue (reads first: no write lock if none). */
  #recoverExpired(sql: Statements): void {
    const now = Date.now();
    if (sql.hasExpired.get(this.name, now)) sql.recover.run(this.name, now);
  }

  /** Adds a message to the queue; higher `priority` first, FIFO within. */
  enqueue(data: Uint8Array, priority?: number): Promise<void> {
    return this.enqueueMany([{ data, priority }]);
  }

  /** Adds several messages in one transaction. */
  enqueueMany(items: ReadonlyArray<{ data: Uint8Array; priority?: number }>): Promise<void> {
    const insert = (sql: Statements): void => {
      const priorities = items.map((item) => checkNumber("priority", item.priority ?? 0));
      items.forEach((item, i) => sql.enqueue.run(this.name, item.data, priorities[i]));
    };
    return this.#write(items.length, insert);
  }

  /** Takes the next message: leased with a receipt when `lease > 0`, else deleted. */
  dequeue(options: DequeueOptions = {}): Promise<Delivery | null> {
    return this.#run((sql) => {
      const lease = checkNumber("lease", options.lease ?? 0, ">= 0");
      if (options.signal?.aborted) return null;
      this.#recoverExpired(sql);
      if (lease === 0) {
        const row = sql.take.get(this.name) as { data: Uint8Array } | undefined;
        return row ? { data: row.data, receipt: null } : null;
      }
      const token = this.#tokenPrefix + (this.#deliveries++).toString(36);
      const row = sql.lease.get(Date.now() + lease * 1000, token, this.name) as
        | { id: number; data: Uint8Array }
        | undefined;
      return row ? { data: row.data, receipt: `${row.id}:${token}` } : null;
    });
  }

  /** Deletes the leased message, if this receipt still names its delivery. */
  ack(receipt: string): Promise<void> {
    return this.#run((sql) => {
      const parsed = parseReceipt(receipt);
      if (parsed) sql.ack.run(...parsed);
    });
  }

  /** Sets each lease to `lease` seconds from now; unknown receipts are ignored. */
  renew(receipts: readonly string[], lease: number): Promise<void> {
    const parsed = receipts.map(parseReceipt).filter((receipt) => receipt !== null);
    return this.#write(parsed.length, (sql) => {
      const until = Date.now() + checkNumber("lease", lease, ">= 0") * 1000;
      for (const receipt of parsed) sql.renew.run(until, ...receipt);
    });
  }

  /** Makes the leased message available again at once, in its old place. */
  release(receipt: string): Promise<void> {
    return this.#run((sql) => {
      const parsed = parseReceipt(receipt);
      if (parsed) sql.release.run(...parsed);
    });
  }

  /** How many messages wait (leased ones excluded). */
  queueSize(): Promise<number> {
    return this.#run((sql) => {
      this.#recoverExpired(sql);
      return (sql.queueSize.get(this.name) as { n: number }).n;
    });
  }

  /** The waiting messages in dequeue order. */
  enqueuedItems(limit?: number): Promise<Uint8Array[]> {
    return this.#run((sql) => {
      this.#recoverExpired(sql);
      return dataOf(sql.queueItems.all(this.name, sqlLimit(limit)));
    });
  }

  /** Deletes every message of the queue, leased ones included. */
  flushQueue(): Promise<void> {
    return this.#run((sql) => void sql.flushQueue.run(this.name));
  }

  /** Schedules a message for `eta` (epoch ms). */
  addToSchedule(data: Uint8Array, eta: number): Promise<void> {
    return this.#run((sql) => void sql.schedule.run(this.name, data, checkNumber("eta", eta)));
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
      return sql.putIfEmpty.run(this.name, key, value, expires, now).changes > 0;
    });
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

  /** Stores a dead letter; ids are never reused. */
  addDeadLetter(data: Uint8Array, reason: string): Promise<string> {
    return this.#run((sql) => {
      const row = sql.addDead.get(this.name, data, String(reason), Date.now()) as { id: number };
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

  /** Empties the queue, schedule, keys and dead letters of this name, in one transaction. */
  flushAll(): Promise<void> {
    return this.#write(4, (sql) => {
      for (const statement of [sql.flushQueue, sql.flushSchedule, sql.flushKv, sql.flushDead]) {
        statement.run(this.name);
      }
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
    return this.#run(() => {
      if (!/^[a-z_]+$/i.test(name)) throw new RangeError(`Not a pragma name: ${name}`);
      const row = this.#db.prepare(`PRAGMA ${name}`).get();
      return row ? Object.values(row)[0] : undefined;
    });
  }

  /** Closes the connection; later calls reject. Idempotent. */
  close(): Promise<void> {
    if (!this.#closed) {
      this.#closed = true;
      this.#db.close();
    }
    return Promise.resolve();
  }

  /** Closes the storage, for `await using`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
