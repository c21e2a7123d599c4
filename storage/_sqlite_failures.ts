/**
 * The failure records of the SQLite storage: one row per queue and task id
 * in the `failure` table, ordered by a sequence that is never reused; adding
 * one replaces the older record of its id and trims the oldest beyond the
 * cap, in one transaction.
 *
 * @module
 * @internal
 */
import { checkLimit, checkMaxLength, settle } from "./_check.ts";
import { dataOf } from "./_sqlite_schema.ts";
import type { SqliteConnection } from "./_sqlite_connection.ts";

/** The failure records of one queue name, on one connection. */
export class SqliteFailures {
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

  /** Records a failure as the newest, replacing one of the same id, keeping at most `maxLength`. */
  add(id: string, record: Uint8Array, maxLength: number): Promise<void> {
    return settle(() => checkMaxLength(maxLength)).then(() =>
      this.#connection.transaction((sql) => {
        sql.takeFailure.run(this.#name, String(id));
        sql.addFailure.run(this.#name, String(id), record);
        sql.trimFailures.run(this.#name, maxLength);
      })
    );
  }

  /** The records, newest first, at most `limit`. */
  list(limit: number | undefined): Promise<Uint8Array[]> {
    return settle(() => checkLimit(limit)).then((checked) =>
      this.#connection.run((sql) =>
        dataOf(sql.failures.all(this.#name, checked === Infinity ? -1 : checked))
      )
    );
  }

  /** Removes and returns the record of `id`, or `null`. */
  take(id: string): Promise<Uint8Array | null> {
    return this.#connection.run((sql) => {
      const row = sql.takeFailure.get(this.#name, String(id)) as { data: Uint8Array } | undefined;
      return row ? row.data : null;
    });
  }

  /** Removes every record; resolves to how many there were. */
  purge(): Promise<number> {
    return this.#connection.run((sql) => Number(sql.flushFailures.run(this.#name).changes));
  }

  /** How many records are kept. */
  count(): Promise<number> {
    return this.#connection.run((sql) => (sql.failureCount.get(this.#name) as { n: number }).n);
  }
}
