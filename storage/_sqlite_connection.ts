/**
 * One open connection of the SQLite storage with its prepared statements:
 * every call runs on it synchronously and answers with a promise (a throw
 * becomes a rejection), in one `BEGIN IMMEDIATE` transaction when it writes
 * more than once; calls after `close()` reject.
 *
 * @module
 * @internal
 */
import type { DatabaseSync } from "node:sqlite";
import { optionError } from "../_options.ts";
import { closedError, settle } from "./_check.ts";
import { openDatabase, type SqliteSettings } from "./_sqlite_open.ts";
import { prepareStatements, type Statements } from "./_sqlite_schema.ts";

/** An open database file and its statements, refusing calls once closed. */
export class SqliteConnection {
  #db: DatabaseSync;
  #sql: Statements;
  #closed = false;
  #name: string;

  /**
   * Opens (and creates or migrates) the database file and prepares the statements.
   *
   * @param settings The checked settings.
   * @param name The queue name, for the error of a call after `close()`.
   */
  constructor(settings: SqliteSettings, name: string) {
    this.#name = name;
    this.#db = openDatabase(settings);
    try {
      this.#sql = prepareStatements(this.#db);
    } catch (error) {
      this.#db.close();
      throw error;
    }
  }

  /** Whether `close()` was called. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Runs `fn` on the open connection; a throw becomes a rejection. */
  run<T>(fn: (sql: Statements) => T): Promise<T> {
    return settle(() => {
      if (this.#closed) throw closedError("SqliteStorage", this.#name);
      return fn(this.#sql);
    });
  }

  /** Runs `fn`, in one `BEGIN IMMEDIATE` transaction when it makes several `writes`. */
  write<T>(writes: number, fn: (sql: Statements) => T): Promise<T> {
    return writes < 2 ? this.run(fn) : this.transaction(fn);
  }

  /** Runs `fn` in one `BEGIN IMMEDIATE` transaction: all of its writes, or none. */
  transaction<T>(fn: (sql: Statements) => T): Promise<T> {
    return this.run((sql) => {
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

  /** The value of a PRAGMA (the first column of its first row), or `undefined`. */
  pragma(name: string): Promise<unknown> {
    return this.run(() => {
      if (!/^[a-z_]+$/i.test(name)) throw optionError("name", name, "a pragma name");
      const row = this.#db.prepare(`PRAGMA ${name}`).get();
      return row ? Object.values(row)[0] : undefined;
    });
  }

  /** Closes the connection once; later calls reject. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#db.close();
  }
}
