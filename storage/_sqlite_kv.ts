/**
 * The key/value store of the SQLite storage: one row per key of a queue
 * name, each read, write and conditional change one statement. A key with
 * a ttl expires; an expired one reads as absent until a sweep deletes it.
 *
 * @module
 * @internal
 */
import type { PutIfEmptyOptions } from "./base.ts";
import { checkNumber } from "../_options.ts";
import type { SqliteConnection } from "./_sqlite_connection.ts";
import type { Statements } from "./_sqlite_schema.ts";

/** The keys and values of one queue name, on one connection. */
export class SqliteKeyValues {
  #connection: SqliteConnection;
  #name: string;
  #sweep: (sql: Statements, now: number) => void;

  /**
   * @param connection The storage's connection.
   * @param name The queue name.
   * @param sweep Deletes expired rows now and then; called when a key with a ttl is written.
   */
  constructor(
    connection: SqliteConnection,
    name: string,
    sweep: (sql: Statements, now: number) => void,
  ) {
    this.#connection = connection;
    this.#name = name;
    this.#sweep = sweep;
  }

  /** Stores a value, replacing any other and clearing its expiry. */
  put(key: string, value: Uint8Array): Promise<void> {
    return this.#connection.run((sql) => void sql.put.run(this.#name, key, value));
  }

  /** Reads a live value without removing it; `null` when there is none. */
  peek(key: string): Promise<Uint8Array | null> {
    return this.#connection.run((sql) => {
      const row = sql.peek.get(this.#name, key, Date.now()) as { value: Uint8Array } | undefined;
      return row ? row.value : null;
    });
  }

  /** Reads and removes a value in one statement (an expired one reads as absent). */
  pop(key: string): Promise<Uint8Array | null> {
    return this.#connection.run((sql) => {
      const row = sql.pop.get(this.#name, key) as
        | { value: Uint8Array; expires: number | null }
        | undefined;
      return row && (row.expires === null || row.expires > Date.now()) ? row.value : null;
    });
  }

  /** Stores the value if the key is empty or expired, in one statement; `true` when it did. */
  putIfEmpty(key: string, value: Uint8Array, options: PutIfEmptyOptions): Promise<boolean> {
    return this.#connection.run((sql) => {
      const now = Date.now();
      const { ttl } = options;
      const expires = ttl === undefined ? null : now + checkNumber("ttl", ttl, "> 0") * 1000;
      if (expires !== null) this.#sweep(sql, now);
      return sql.putIfEmpty.run(this.#name, key, value, expires, now).changes > 0;
    });
  }

  /** Deletes the key only while it holds exactly `value`, in one statement; `true` when it did. */
  deleteIfEquals(key: string, value: Uint8Array): Promise<boolean> {
    return this.#connection.run((sql) => {
      return sql.deleteIfEquals.run(this.#name, key, value, Date.now()).changes > 0;
    });
  }

  /** How many live keys are stored. */
  size(): Promise<number> {
    return this.#connection.run((sql) =>
      (sql.kvSize.get(this.#name, Date.now()) as { n: number }).n
    );
  }

  /** Every live key and its value. */
  items(): Promise<Map<string, Uint8Array>> {
    return this.#connection.run((sql) => {
      const rows = sql.kvItems.all(this.#name, Date.now()) as { key: string; value: Uint8Array }[];
      return new Map(rows.map((row) => [row.key, row.value]));
    });
  }

  /** Deletes every key. */
  flush(): Promise<void> {
    return this.#connection.run((sql) => void sql.flushKv.run(this.#name));
  }
}
