/**
 * Opening a SQLite connection for the SQLite storage: the storage's options
 * and their checks; `node:sqlite`, loaded here when a storage is built,
 * never when the library is imported (a Redis user on a Node without
 * `node:sqlite` must be able to import it); then the busy timeout, journal
 * mode, sync and cache settings, and the schema's migrations.
 *
 * @module
 * @internal
 */
import { existsSync } from "node:fs";
import { dirname, resolve } from "node:path";
import process from "node:process";
import type { DatabaseSync } from "node:sqlite";
import { ConfigurationError } from "../errors.ts";
import { checkBoolean, checkNumber, checkText, optionError } from "../_options.ts";
import { migrateSqliteSchema } from "./_sqlite_schema.ts";

/** Journal modes SQLite accepts. */
const JOURNAL_MODES = ["wal", "delete", "truncate", "persist", "memory", "off"];

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
  /**
   * `dequeue` waits up to `readTimeout` for a message instead of returning
   * `null` at once: a consumer then starts a task within about a millisecond
   * of its enqueue instead of polling. Writes in this thread wake it at once,
   * writes of other threads and processes through a watch on the database
   * file.
   * @default false
   */
  blocking?: boolean;
  /** How long a blocking `dequeue` waits, in seconds. @default 1 */
  readTimeout?: number;
}

/** The checked options of a SQLite storage: where and how its connection opens. */
export interface SqliteSettings {
  /** The database file, or `:memory:`. */
  filename: string;
  /** Page cache in megabytes. */
  cacheMb: number;
  /** `synchronous=FULL` rather than `NORMAL`. */
  fsync: boolean;
  /** A journal mode SQLite accepts, in lower case. */
  journalMode: string;
  /** Busy timeout, in seconds. */
  timeout: number;
  /** Task ids never reused (`AUTOINCREMENT`). */
  strictFifo: boolean;
  /** `dequeue` waits for a message. */
  blocking: boolean;
  /** How long a blocking `dequeue` waits, in seconds. */
  readTimeout: number;
}

/**
 * Checks the options of a SQLite storage and applies their defaults.
 *
 * @param options What the caller passed.
 * @returns The settings.
 * @throws {ConfigurationError} An option has the wrong type or is out of range, or
 *   `filename`'s folder does not exist.
 */
export function checkSqliteOptions(options: SqliteStorageOptions): SqliteSettings {
  const {
    filename = "huey.db",
    cacheMb = 8,
    fsync = false,
    journalMode = "wal",
    timeout = 5,
    strictFifo = false,
    blocking = false,
    readTimeout = 1,
  } = options;
  checkText("filename", filename);
  const mode = String(journalMode).toLowerCase();
  if (typeof journalMode !== "string" || !JOURNAL_MODES.includes(mode)) {
    throw optionError("journalMode", journalMode, `one of ${JOURNAL_MODES.join(", ")}`);
  }
  checkNumber("cacheMb", cacheMb, ">= 0");
  checkNumber("timeout", timeout, ">= 0");
  checkBoolean("fsync", fsync);
  checkBoolean("strictFifo", strictFifo);
  checkBoolean("blocking", blocking);
  checkNumber("readTimeout", readTimeout, "> 0");
  const folder = dirname(resolve(filename));
  if (filename !== ":memory:" && !existsSync(folder)) {
    throw optionError("filename", filename, `a file in a folder that exists (not ${folder})`);
  }
  return {
    filename,
    cacheMb,
    fsync,
    journalMode: mode,
    timeout,
    strictFifo,
    blocking,
    readTimeout,
  };
}

/**
 * The `DatabaseSync` class of `node:sqlite`, loaded on first use.
 *
 * @throws {ConfigurationError} This runtime has no `node:sqlite` (Node before 22.13).
 */
function driver(): typeof DatabaseSync {
  const sqlite = process.getBuiltinModule?.("node:sqlite") as
    | typeof import("node:sqlite")
    | undefined;
  if (sqlite === undefined) {
    throw new ConfigurationError(
      `SqliteStorage needs the built-in module node:sqlite, which this runtime lacks ` +
        `(Node ${process.versions.node}): use Node 22.13 or later, or another storage ` +
        `(RedisStorage, FileStorage, MemoryStorage)`,
    );
  }
  return sqlite.DatabaseSync;
}

/**
 * Opens the database file, applies the settings and brings its schema
 * forward; the connection is closed again when any of it fails.
 *
 * @param settings The checked settings.
 * @returns The open connection.
 * @throws {ConfigurationError} This runtime has no `node:sqlite`.
 * @throws {HueyError} The file's schema is newer than this version supports.
 */
export function openDatabase(settings: SqliteSettings): DatabaseSync {
  const { filename, cacheMb, fsync, journalMode, timeout, strictFifo } = settings;
  const busyMs = Math.round(timeout * 1000);
  const db = new (driver())(filename, { timeout: busyMs });
  try {
    db.exec(`PRAGMA busy_timeout = ${busyMs}`);
    // Switching the journal mode takes a lock: only do it when the file is not in it yet.
    whileBusy(busyMs, () => {
      const current = db.prepare("PRAGMA journal_mode").get() as { journal_mode: string };
      if (current.journal_mode !== journalMode) db.exec(`PRAGMA journal_mode = ${journalMode}`);
    });
    db.exec(`PRAGMA synchronous = ${fsync ? "FULL" : "NORMAL"}`);
    db.exec(`PRAGMA cache_size = ${-Math.round(cacheMb * 1000)}`);
    migrateSqliteSchema(db, { strictFifo });
    return db;
  } catch (error) {
    db.close();
    throw error;
  }
}

/** Whether SQLite said another connection holds the lock a statement needs. */
function isBusy(error: unknown): boolean {
  const { errcode, message } = (error ?? {}) as { errcode?: unknown; message?: unknown };
  return errcode === 5 || (typeof message === "string" && message.includes("database is locked"));
}

/**
 * Runs `step` again while SQLite answers "database is locked", for up to
 * `ms`. Processes that open a new file together each switch it to WAL, and
 * SQLite ends such a lock upgrade at once, without the busy timeout, when
 * waiting could deadlock; the loser retries after the winner is done.
 */
function whileBusy(ms: number, step: () => void): void {
  const deadline = Date.now() + ms;
  const pause = new Int32Array(new SharedArrayBuffer(4));
  while (true) {
    try {
      return step();
    } catch (error) {
      if (!isBusy(error) || Date.now() >= deadline) throw error;
      Atomics.wait(pause, 0, 0, 10); // a synchronous 10 ms: the constructor cannot await
    }
  }
}
