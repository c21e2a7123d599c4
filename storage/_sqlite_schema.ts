/**
 * The SQL of the SQLite storage: its tables, the migrations that bring a
 * file written by an older version forward (the version lives in
 * `PRAGMA user_version`), and the statements the storage runs on them.
 *
 * @module
 */
import type { DatabaseSync, StatementSync } from "node:sqlite";
import { HueyError } from "../errors.ts";
import { checkLimit } from "./_check.ts";

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

/**
 * Version 1 to 2: a scheduled message keeps the priority it is enqueued with
 * when due, and the markers of `enqueueOnce` (the periodic tasks of a
 * minute) get a table of their own, apart from the key/value store.
 */
function createVersion2(db: DatabaseSync): void {
  db.exec(`ALTER TABLE schedule ADD COLUMN priority REAL NOT NULL DEFAULT 0;
    CREATE TABLE marker (queue TEXT NOT NULL, key TEXT NOT NULL, expires REAL NOT NULL,
      PRIMARY KEY (queue, key)) WITHOUT ROWID;`);
}

/**
 * Version 2 to 3: counters (rate limits) and member sets (the members of a
 * chord that have finished), apart from the key/value store. A member set's
 * window (`expires`, epoch ms, `NULL` for none) lives in `member_set`, its
 * members in `member`.
 */
function createVersion3(db: DatabaseSync): void {
  db.exec(`CREATE TABLE counter (queue TEXT NOT NULL, key TEXT NOT NULL, value INTEGER NOT NULL,
      expires REAL, PRIMARY KEY (queue, key)) WITHOUT ROWID;
    CREATE TABLE member_set (queue TEXT NOT NULL, key TEXT NOT NULL, expires REAL,
      PRIMARY KEY (queue, key)) WITHOUT ROWID;
    CREATE TABLE member (queue TEXT NOT NULL, key TEXT NOT NULL, member TEXT NOT NULL,
      PRIMARY KEY (queue, key, member)) WITHOUT ROWID;`);
}

/**
 * Version 3 to 4: the failure records (tasks that failed for good), one per
 * queue and task id; `seq` (never reused) orders them, newest last.
 */
function createVersion4(db: DatabaseSync): void {
  db.exec(`CREATE TABLE failure (seq INTEGER PRIMARY KEY AUTOINCREMENT, queue TEXT NOT NULL,
      task_id TEXT NOT NULL, data BLOB NOT NULL, UNIQUE (queue, task_id));
    CREATE INDEX failure_queue_seq ON failure (queue, seq);`);
}

/**
 * Version 4 to 5: the event log and the consumer heartbeats. An event's
 * `seq` (never reused, also across `flushAll`) is its cursor; `pos` counts
 * the events of its queue name so that the cap trims the oldest by a range
 * of the `(queue, pos)` index; the index on `queue` (which SQLite orders by
 * `queue`, then `seq`) serves reads after a cursor.
 */
function createVersion5(db: DatabaseSync): void {
  db.exec(`CREATE TABLE event (seq INTEGER PRIMARY KEY AUTOINCREMENT, queue TEXT NOT NULL,
      pos INTEGER NOT NULL, at REAL NOT NULL, data BLOB NOT NULL, UNIQUE (queue, pos));
    CREATE INDEX event_queue ON event (queue);
    CREATE TABLE heartbeat (queue TEXT NOT NULL, id TEXT NOT NULL, record BLOB NOT NULL,
      expires REAL NOT NULL, PRIMARY KEY (queue, id)) WITHOUT ROWID;`);
}

/**
 * Version 5 to 6: the event log keeps the events of one write (a turn's
 * completions and `addEvents` calls) as one row of lines (`data`), `count`
 * of them, the last of which is the `last_pos`-th event of its queue name: a
 * task's events cost a line, not rows and index entries. An event's `seq`
 * is `<row seq>.<index in the row>`. The rows of version 5 become rows of
 * one event (their seq, now a row's, still names them).
 */
function createVersion6(db: DatabaseSync): void {
  db.exec(`CREATE TABLE event_log (seq INTEGER PRIMARY KEY AUTOINCREMENT, queue TEXT NOT NULL,
      last_pos INTEGER NOT NULL, count INTEGER NOT NULL, at REAL NOT NULL, data TEXT NOT NULL);
    CREATE INDEX event_log_queue ON event_log (queue);
    CREATE INDEX event_log_pos ON event_log (queue, last_pos);
    INSERT INTO event_log (seq, queue, last_pos, count, at, data)
      SELECT seq, queue, pos, 1, at, CAST(data AS TEXT) FROM event ORDER BY seq;
    DROP TABLE event;`);
}

/** `MIGRATIONS[v]` brings a database at schema version `v` to `v + 1`. */
const MIGRATIONS: ReadonlyArray<(db: DatabaseSync, strictFifo: boolean) => void> = [
  createVersion1,
  createVersion2,
  createVersion3,
  createVersion4,
  createVersion5,
  createVersion6,
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
 * import { migrateSqliteSchema, SQLITE_SCHEMA_VERSION } from "./_sqlite_schema.ts";
 * const db = new DatabaseSync(":memory:");
 * console.assert(migrateSqliteSchema(db) === 0); // an empty database was at version 0
 * console.assert(migrateSqliteSchema(db) === SQLITE_SCHEMA_VERSION); // already current
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
    "SELECT id FROM task WHERE queue = ? AND lease_until = 0 ORDER BY priority DESC, id LIMIT ?",
  take: "DELETE FROM task WHERE id = (next) RETURNING id, data, priority",
  takeMany: "DELETE FROM task WHERE id IN (next) RETURNING id, data, priority",
  lease:
    "UPDATE task SET lease_until = ?, receipt = ? WHERE id = (next) RETURNING id, data, priority",
  leaseMany: "UPDATE task SET lease_until = ?, receipt = ? WHERE id IN (next) " +
    "RETURNING id, data, priority",
  nextExpiry: "SELECT min(lease_until) AS at FROM task WHERE queue = ? AND lease_until > 0",
  ack: "DELETE FROM task WHERE id = ? AND receipt = ?",
  renew: "UPDATE task SET lease_until = ? WHERE id = ? AND receipt = ?",
  release: "UPDATE task SET lease_until = 0, receipt = NULL WHERE id = ? AND receipt = ?",
  queueSize: "SELECT count(*) AS n FROM task WHERE queue = ? AND lease_until = 0",
  queueItems: "SELECT data FROM task WHERE queue = ? AND lease_until = 0 " +
    "ORDER BY priority DESC, id LIMIT ?",
  flushQueue: "DELETE FROM task WHERE queue = ?",
  schedule: "INSERT INTO schedule (queue, data, eta, priority) VALUES (?, ?, ?, ?)",
  readSchedule: "DELETE FROM schedule WHERE queue = ? AND eta <= ? RETURNING id, data, eta",
  due: "SELECT id, data, priority FROM schedule WHERE queue = ? AND eta <= ? ORDER BY eta, id " +
    "LIMIT ?",
  unschedule: "DELETE FROM schedule WHERE id = ?",
  scheduleSize: "SELECT count(*) AS n FROM schedule WHERE queue = ?",
  scheduleItems: "SELECT data FROM schedule WHERE queue = ? ORDER BY eta, id LIMIT ?",
  flushSchedule: "DELETE FROM schedule WHERE queue = ?",
  put: "INSERT OR REPLACE INTO kv (queue, key, value, expires) VALUES (?, ?, ?, NULL)",
  putIfEmpty: "INSERT INTO kv (queue, key, value, expires) VALUES (?, ?, ?, ?) " +
    "ON CONFLICT (queue, key) DO UPDATE SET value = excluded.value, expires = excluded.expires " +
    "WHERE kv.expires IS NOT NULL AND kv.expires <= ?",
  peek: "SELECT value FROM kv WHERE queue = ? AND key = ? AND (expires IS NULL OR expires > ?)",
  pop: "DELETE FROM kv WHERE queue = ? AND key = ? RETURNING value, expires",
  deleteKey: "DELETE FROM kv WHERE queue = ? AND key = ?",
  deleteIfEquals: "DELETE FROM kv WHERE queue = ? AND key = ? AND value = ? " +
    "AND (expires IS NULL OR expires > ?)",
  sweepKv: "DELETE FROM kv WHERE queue = ? AND expires IS NOT NULL AND expires <= ?",
  kvSize: "SELECT count(*) AS n FROM kv WHERE queue = ? AND (expires IS NULL OR expires > ?)",
  kvItems: "SELECT key, value FROM kv WHERE queue = ? AND (expires IS NULL OR expires > ?)",
  flushKv: "DELETE FROM kv WHERE queue = ?",
  sweepMarkers: "DELETE FROM marker WHERE queue = ? AND expires <= ?",
  setMarker: "INSERT INTO marker (queue, key, expires) VALUES (?, ?, ?) " +
    "ON CONFLICT (queue, key) DO NOTHING",
  flushMarkers: "DELETE FROM marker WHERE queue = ?",
  deleteMarker: "DELETE FROM marker WHERE queue = ? AND key = ? AND expires > ?",
  // An expired counter starts again from `by` with a new window; SET reads the old row.
  incr: "INSERT INTO counter (queue, key, value, expires) VALUES (?, ?, ?, ?) " +
    "ON CONFLICT (queue, key) DO UPDATE SET " +
    "value = iif(counter.expires <= ?5, 0, counter.value) + excluded.value, " +
    "expires = iif(counter.expires <= ?5, excluded.expires, counter.expires) RETURNING value",
  deleteCounter: "DELETE FROM counter WHERE queue = ? AND key = ? RETURNING expires",
  sweepCounters: "DELETE FROM counter WHERE queue = ? AND expires <= ?",
  flushCounters: "DELETE FROM counter WHERE queue = ?",
  memberSet: "SELECT expires FROM member_set WHERE queue = ? AND key = ?",
  createMemberSet: "INSERT OR REPLACE INTO member_set (queue, key, expires) VALUES (?, ?, ?)",
  addMember: "INSERT INTO member (queue, key, member) VALUES (?, ?, ?) " +
    "ON CONFLICT (queue, key, member) DO NOTHING",
  countMembers: "SELECT count(*) AS n FROM member WHERE queue = ? AND key = ?",
  deleteMemberSet: "DELETE FROM member_set WHERE queue = ? AND key = ? RETURNING expires",
  deleteMembers: "DELETE FROM member WHERE queue = ? AND key = ?",
  sweepMembers: "DELETE FROM member WHERE queue = ?1 AND key IN " +
    "(SELECT key FROM member_set WHERE queue = ?1 AND expires <= ?2)",
  sweepMemberSets: "DELETE FROM member_set WHERE queue = ? AND expires <= ?",
  flushMembers: "DELETE FROM member WHERE queue = ?",
  flushMemberSets: "DELETE FROM member_set WHERE queue = ?",
  addDead: "INSERT INTO dead_letter (queue, data, reason, at) VALUES (?, ?, ?, ?) RETURNING id",
  deadLetters: "SELECT id, data, reason, at FROM dead_letter WHERE queue = ? ORDER BY id LIMIT ?",
  peekDead: "SELECT id, data, reason, at FROM dead_letter WHERE queue = ? AND id = ?",
  takeDead: "DELETE FROM dead_letter WHERE queue = ? AND id = ? RETURNING data",
  flushDead: "DELETE FROM dead_letter WHERE queue = ?",
  deadCount: "SELECT count(*) AS n FROM dead_letter WHERE queue = ?",
  addFailure: "INSERT INTO failure (queue, task_id, data) VALUES (?, ?, ?)",
  // Keeps the newest ?2 records of queue ?1.
  trimFailures: "DELETE FROM failure WHERE queue = ?1 AND seq <= " +
    "(SELECT seq FROM failure WHERE queue = ?1 ORDER BY seq DESC LIMIT 1 OFFSET ?2)",
  failures: "SELECT data FROM failure WHERE queue = ? ORDER BY seq DESC LIMIT ?",
  takeFailure: "DELETE FROM failure WHERE queue = ? AND task_id = ? RETURNING data",
  failureCount: "SELECT count(*) AS n FROM failure WHERE queue = ?",
  flushFailures: "DELETE FROM failure WHERE queue = ?",
  // One row of ?2 events after the newest of queue ?1 (one statement: the max by event_log_pos).
  addEvents: "INSERT INTO event_log (queue, last_pos, count, at, data) " +
    "SELECT ?1, coalesce(max(last_pos), 0) + ?2, ?2, ?3, ?4 FROM event_log WHERE queue = ?1 " +
    "RETURNING last_pos AS pos",
  // Whole rows whose events are all older than the newest ?2 of queue ?1.
  trimEvents: "DELETE FROM event_log WHERE queue = ? AND last_pos <= ?",
  eventsFrom: "SELECT seq, at, data FROM event_log WHERE queue = ? AND seq >= ? " +
    "ORDER BY seq LIMIT ?",
  eventsSince: "SELECT seq, at, data FROM event_log WHERE queue = ? AND at >= ? " +
    "ORDER BY seq LIMIT ?",
  lastEvent: "SELECT seq, count FROM event_log WHERE queue = ? ORDER BY seq DESC LIMIT 1",
  flushEvents: "DELETE FROM event_log WHERE queue = ?",
  putHeartbeat: "INSERT OR REPLACE INTO heartbeat (queue, id, record, expires) VALUES (?, ?, ?, ?)",
  heartbeats: "SELECT record FROM heartbeat WHERE queue = ? AND expires > ?",
  deleteHeartbeat: "DELETE FROM heartbeat WHERE queue = ? AND id = ? AND expires > ?",
  sweepHeartbeats: "DELETE FROM heartbeat WHERE queue = ? AND expires <= ?",
  flushHeartbeats: "DELETE FROM heartbeat WHERE queue = ?",
};

/** The statements that empty each table of a queue name, for `flushAll`. */
export const FLUSH_ALL = [
  "flushQueue",
  "flushSchedule",
  "flushKv",
  "flushMarkers",
  "flushCounters",
  "flushMembers",
  "flushMemberSets",
  "flushDead",
  "flushFailures",
  "flushEvents",
  "flushHeartbeats",
] as const;

/** The prepared statements of one connection, by name. */
export type Statements = { [K in keyof typeof SQL]: StatementSync };

/**
 * `limit` of the listing methods, for a `LIMIT ?` parameter: `undefined` is
 * all (`-1` for SQLite).
 *
 * @throws {ConfigurationError} `limit` is not a whole number > 0.
 */
export function sqlLimit(limit: number | undefined): number {
  const checked = checkLimit(limit);
  return checked === Infinity ? -1 : checked;
}

/**
 * The `data` column of the rows a statement returned (queued, scheduled or dead messages).
 *
 * @param rows The rows, each with a `data` column.
 * @returns Each row's `data`, in order.
 */
export function dataOf(rows: unknown[]): Uint8Array[] {
  return (rows as { data: Uint8Array }[]).map((row) => row.data);
}

/**
 * Prepares every statement the storage runs, once per connection; `(next)`
 * in a statement stands for the `next` subquery (the first `LIMIT ?` waiting
 * messages of a queue, in dequeue order).
 *
 * @example
 * ```ts
 * import { DatabaseSync } from "node:sqlite";
 * import { migrateSqliteSchema, prepareStatements } from "./_sqlite_schema.ts";
 * const db = new DatabaseSync(":memory:");
 * migrateSqliteSchema(db);
 * console.assert((prepareStatements(db).queueSize.get("q") as { n: number }).n === 0);
 * db.close();
 * ```
 *
 * @param db A connection whose schema is current.
 * @returns The statements, by name.
 */
export function prepareStatements(db: DatabaseSync): Statements {
  const statements = Object.entries(SQL).map(([key, sql]) => {
    return [key, db.prepare(sql.replace("(next)", `(${SQL.next})`))];
  });
  return Object.fromEntries(statements) as Statements;
}
