/**
 * The counters, member sets and `enqueueOnce` markers of the SQLite
 * storage, on the tables of schema version 3 (`_sqlite_schema.ts`): a
 * counter is one row updated by one statement; adding a member is one
 * transaction (the set's window, the member, the count). Expired rows read
 * as absent and are deleted, with the expired keys, once per
 * {@linkcode SWEEP_INTERVAL}. The caller's arguments are checked here, with
 * the words every backend uses (`_tally.ts`).
 *
 * @module
 * @internal
 */
import type { TallyOptions } from "./base.ts";
import type { SqliteConnection } from "./_sqlite_connection.ts";
import type { Statements } from "./_sqlite_schema.ts";
import { checkIncrement, checkMember, checkTallyTtl } from "./_tally.ts";

/**
 * How often (ms) a connection deletes expired keys, counters and member sets,
 * when it writes one with a ttl.
 */
const SWEEP_INTERVAL = 60_000;

/** Whether a row's `expires` (epoch ms, `null` for none) is still ahead of `now`. */
function live(expires: number | null, now: number): boolean {
  return expires === null || expires > now;
}

/** The epoch ms a window of `ttl` seconds from `now` ends, or `null` for none. */
function windowEnd(ttl: number | undefined, now: number): number | null {
  return ttl === undefined ? null : now + ttl * 1000;
}

/**
 * Adds `by` to a counter, in one statement; a missing or expired one starts
 * from 0 with a new window of `ttl` seconds.
 *
 * @returns The counter's new value.
 */
function incrCounter(
  sql: Statements,
  queue: string,
  key: string,
  by: number,
  ttl: number | undefined,
): number {
  const now = Date.now();
  const row = sql.incr.get(queue, key, by, windowEnd(ttl, now), now) as { value: number };
  return Number(row.value);
}

/** Deletes a counter, in one statement; `true` when a live one was there. */
function deleteCounter(sql: Statements, queue: string, key: string): boolean {
  const row = sql.deleteCounter.get(queue, key) as { expires: number | null } | undefined;
  return row !== undefined && live(row.expires, Date.now());
}

/**
 * Adds a member to a set; a missing or expired set starts empty with a new
 * window of `ttl` seconds. Run it in a transaction.
 *
 * @returns The set's size after it.
 */
function addSetMember(
  sql: Statements,
  queue: string,
  key: string,
  member: string,
  ttl: number | undefined,
): number {
  const now = Date.now();
  const set = sql.memberSet.get(queue, key) as { expires: number | null } | undefined;
  if (set === undefined || !live(set.expires, now)) {
    sql.deleteMembers.run(queue, key);
    sql.createMemberSet.run(queue, key, windowEnd(ttl, now));
  }
  sql.addMember.run(queue, key, member);
  return (sql.countMembers.get(queue, key) as { n: number }).n;
}

/** Deletes a member set; `true` when a live one was there. Run it in a transaction. */
function deleteMemberSet(sql: Statements, queue: string, key: string): boolean {
  const set = sql.deleteMemberSet.get(queue, key) as { expires: number | null } | undefined;
  sql.deleteMembers.run(queue, key);
  return set !== undefined && live(set.expires, Date.now());
}

/**
 * Deletes the expired keys, counters and member sets of a queue (members
 * before their set: each statement stands alone).
 */
function sweepExpired(sql: Statements, queue: string, now: number): void {
  sql.sweepKv.run(queue, now);
  sql.sweepCounters.run(queue, now);
  sql.sweepMembers.run(queue, now);
  sql.sweepMemberSets.run(queue, now);
}

/** The counters, member sets and markers of one queue name, on one connection. */
export class SqliteTallies {
  #connection: SqliteConnection;
  #name: string;
  /** When this connection last deleted expired rows (epoch ms); 0: not yet. */
  #lastSweep = 0;

  /**
   * @param connection The storage's connection.
   * @param name The queue name.
   */
  constructor(connection: SqliteConnection, name: string) {
    this.#connection = connection;
    this.#name = name;
  }

  /**
   * Deletes expired keys, counters and member sets once per
   * `SWEEP_INTERVAL`: they read as absent, and deleting them keeps the
   * tables from growing (a lock or a rate-limit window every minute).
   */
  sweepNowAndThen(sql: Statements, now: number): void {
    if (now - this.#lastSweep < SWEEP_INTERVAL) return;
    this.#lastSweep = now;
    sweepExpired(sql, this.#name, now);
  }

  /** Removes a live marker of `enqueueOnce`, in one statement; `true` when it was set. */
  deleteMarker(marker: string): Promise<boolean> {
    return this.#connection.run((sql) => {
      return sql.deleteMarker.run(this.#name, marker, Date.now()).changes > 0;
    });
  }

  /**
   * Adds `by` to a counter (created with `ttl`), in one statement.
   *
   * @returns Its new value.
   * @throws {ConfigurationError} `by` is not a safe integer, or `ttl` not a number `> 0`.
   */
  async incr(
    key: string,
    by: number | undefined,
    options: TallyOptions | undefined,
  ): Promise<number> {
    const step = checkIncrement(by);
    const ttl = checkTallyTtl(options);
    return await this.#connection.run((sql) => {
      if (ttl !== undefined) this.sweepNowAndThen(sql, Date.now());
      return incrCounter(sql, this.#name, key, step, ttl);
    });
  }

  /** Removes a counter, in one statement; `true` when a live one was there. */
  deleteCounter(key: string): Promise<boolean> {
    return this.#connection.run((sql) => deleteCounter(sql, this.#name, key));
  }

  /**
   * Adds a member to a set (created with `ttl`), in one transaction.
   *
   * @returns The set's size.
   * @throws {ConfigurationError} `member` is not a non-empty string, or `ttl` not a number `> 0`.
   */
  async addMember(key: string, member: string, options: TallyOptions | undefined): Promise<number> {
    const checked = checkMember(member);
    const ttl = checkTallyTtl(options);
    if (ttl !== undefined) {
      await this.#connection.run((sql) => this.sweepNowAndThen(sql, Date.now()));
    }
    return await this.#connection.transaction((sql) => {
      return addSetMember(sql, this.#name, key, checked, ttl);
    });
  }

  /** Removes a member set, in one transaction; `true` when a live one was there. */
  deleteMembers(key: string): Promise<boolean> {
    return this.#connection.transaction((sql) => deleteMemberSet(sql, this.#name, key));
  }
}
