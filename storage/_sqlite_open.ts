/**
 * Opening a SQLite connection for the SQLite storage: `node:sqlite` is
 * loaded here, when a storage is built, never when the library is imported
 * (a Redis user on a Node without `node:sqlite` must be able to import it);
 * then the busy timeout, journal mode, sync and cache settings, and the
 * schema's migrations.
 *
 * @module
 * @internal
 */
import process from "node:process";
import type { DatabaseSync } from "node:sqlite";
import { ConfigurationError } from "../errors.ts";
import { optionError } from "../_options.ts";
import { migrateSqliteSchema } from "./_sqlite_schema.ts";

/** Journal modes SQLite accepts. */
const JOURNAL_MODES = ["wal", "delete", "truncate", "persist", "memory", "off"];

/** The settings of a connection, checked by the storage. */
export interface OpenOptions {
  /** Page cache in megabytes. */
  cacheMb: number;
  /** `synchronous=FULL` rather than `NORMAL`. */
  fsync: boolean;
  /** A journal mode checked by {@linkcode checkJournalMode}. */
  journalMode: string;
  /** Busy timeout, in seconds. */
  timeout: number;
  /** Task ids never reused (`AUTOINCREMENT`). */
  strictFifo: boolean;
}

/**
 * Checks option `journalMode`.
 *
 * @param value What the caller passed.
 * @returns The mode, in lower case.
 * @throws {ConfigurationError} It is not a journal mode SQLite accepts.
 */
export function checkJournalMode(value: unknown): string {
  const mode = String(value).toLowerCase();
  if (typeof value !== "string" || !JOURNAL_MODES.includes(mode)) {
    throw optionError("journalMode", value, `one of ${JOURNAL_MODES.join(", ")}`);
  }
  return mode;
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
 * @param filename The database file, or `:memory:`.
 * @param options The checked settings.
 * @returns The open connection.
 * @throws {ConfigurationError} This runtime has no `node:sqlite`.
 * @throws {HueyError} The file's schema is newer than this version supports.
 */
export function openDatabase(filename: string, options: OpenOptions): DatabaseSync {
  const { cacheMb, fsync, journalMode, timeout, strictFifo } = options;
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
