/**
 * The counters and member sets of the SQLite storage, on the tables of
 * schema version 3 (`_sqlite_schema.ts`): a counter is one row updated by
 * one statement; adding a member is one transaction (the set's window, the
 * member, the count). Expired rows read as absent and are deleted.
 *
 * @module
 * @internal
 */
import type { Statements } from "./_sqlite_schema.ts";

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
export function incrCounter(
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
export function deleteCounter(sql: Statements, queue: string, key: string): boolean {
  const row = sql.deleteCounter.get(queue, key) as { expires: number | null } | undefined;
  return row !== undefined && live(row.expires, Date.now());
}

/**
 * Adds a member to a set; a missing or expired set starts empty with a new
 * window of `ttl` seconds. Run it in a transaction.
 *
 * @returns The set's size after it.
 */
export function addSetMember(
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
export function deleteMemberSet(sql: Statements, queue: string, key: string): boolean {
  const set = sql.deleteMemberSet.get(queue, key) as { expires: number | null } | undefined;
  sql.deleteMembers.run(queue, key);
  return set !== undefined && live(set.expires, Date.now());
}

/**
 * Deletes the expired keys, counters and member sets of a queue (members
 * before their set: each statement stands alone).
 */
export function sweepExpired(sql: Statements, queue: string, now: number): void {
  sql.sweepKv.run(queue, now);
  sql.sweepCounters.run(queue, now);
  sql.sweepMembers.run(queue, now);
  sql.sweepMemberSets.run(queue, now);
}
