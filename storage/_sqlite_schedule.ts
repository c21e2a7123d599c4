/**
 * The schedule of the SQLite storage: one row per scheduled message, with
 * its eta and priority; due messages move to the queue in one transaction,
 * so a message is always either scheduled or queued.
 *
 * @module
 * @internal
 */
import { checkInteger, checkNumber } from "../_options.ts";
import type { SqliteConnection } from "./_sqlite_connection.ts";
import { dataOf } from "./_sqlite_schema.ts";

/** The scheduled messages of one queue name, on one connection. */
export class SqliteSchedule {
  #connection: SqliteConnection;
  #name: string;

  /**
   * @param connection The storage's connection.
   * @param name The queue name.
   */
  constructor(connection: SqliteConnection, name: string) {
    this.#connection = connection;
    this.#name = name;
  }

  /** Schedules a message for `eta` (epoch ms), to be enqueued with `priority`. */
  add(data: Uint8Array, eta: number, priority: number | undefined): Promise<void> {
    return this.#connection.run((sql) => {
      const checked = checkNumber("priority", priority ?? 0);
      sql.schedule.run(this.#name, data, checkNumber("eta", eta), checked);
    });
  }

  /** Moves up to `limit` due messages to the queue, soonest first, in one transaction. */
  moveDue(now: number, limit: number): Promise<Uint8Array[]> {
    return this.#connection.transaction((sql) => {
      const rows = sql.due.all(
        this.#name,
        checkNumber("now", now),
        checkInteger("limit", limit, 1),
      ) as unknown[] as { id: number; data: Uint8Array; priority: number }[];
      for (const row of rows) {
        sql.enqueue.run(this.#name, row.data, row.priority);
        sql.unschedule.run(row.id);
      }
      return dataOf(rows);
    });
  }

  /** Removes and returns the messages due at `now` (epoch ms), soonest first, in one statement. */
  takeDue(now: number): Promise<Uint8Array[]> {
    return this.#connection.run((sql) => {
      const rows = sql.readSchedule.all(this.#name, checkNumber("now", now)) as {
        id: number;
        data: Uint8Array;
        eta: number;
      }[];
      // RETURNING yields rows in no particular order.
      return dataOf(rows.sort((a, b) => a.eta - b.eta || a.id - b.id));
    });
  }

  /** How many messages are scheduled. */
  size(): Promise<number> {
    return this.#connection.run((sql) => (sql.scheduleSize.get(this.#name) as { n: number }).n);
  }

  /** The scheduled messages, soonest first, the first `limit` of them (`-1`: all). */
  items(limit: number): Promise<Uint8Array[]> {
    return this.#connection.run((sql) => dataOf(sql.scheduleItems.all(this.#name, limit)));
  }

  /** Deletes every scheduled message. */
  flush(): Promise<void> {
    return this.#connection.run((sql) => void sql.flushSchedule.run(this.#name));
  }
}
