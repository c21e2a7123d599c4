/**
 * The dead letters of the SQLite storage: one row each, its id the row id
 * (never reused), stored together with the ack of the message it was.
 *
 * @module
 * @internal
 */
import type { DeadLetter } from "./base.ts";
import type { SqliteConnection } from "./_sqlite_connection.ts";
import { sqlLimit } from "./_sqlite_schema.ts";
import { parseReceipt } from "./_sqlite_steps.ts";

/** A row of `dead_letter`. */
interface DeadRow {
  id: number;
  data: Uint8Array;
  reason: string;
  at: number;
}

function deadLetter(row: DeadRow): DeadLetter {
  return { ...row, id: String(row.id), at: new Date(row.at) };
}

/** The dead letters of one queue name, on one connection. */
export class SqliteDeadLetters {
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

  /** Stores a dead letter and acks `receipt`, in one transaction; resolves to its id. */
  add(data: Uint8Array, reason: string, receipt: string | null): Promise<string> {
    const leased = receipt === null ? null : parseReceipt(receipt);
    return this.#connection.write(leased ? 2 : 1, (sql) => {
      const row = sql.addDead.get(this.#name, data, String(reason), Date.now()) as { id: number };
      if (leased) sql.ack.run(...leased);
      return String(row.id);
    });
  }

  /** The dead letters, oldest first, the first `limit` of them (all when `undefined`). */
  list(limit: number | undefined): Promise<DeadLetter[]> {
    const checked = sqlLimit(limit);
    return this.#connection.run((sql) => {
      const rows = sql.deadLetters.all(this.#name, checked) as unknown as DeadRow[];
      return rows.map(deadLetter);
    });
  }

  /** One dead letter, or `null` for an unknown id. */
  peek(id: string): Promise<DeadLetter | null> {
    return this.#connection.run((sql) => {
      if (!/^\d{1,15}$/.test(id)) return null;
      const row = sql.peekDead.get(this.#name, Number(id)) as DeadRow | undefined;
      return row ? deadLetter(row) : null;
    });
  }

  /** Removes one dead letter and returns its message, or `null` for an unknown id. */
  take(id: string): Promise<Uint8Array | null> {
    return this.#connection.run((sql) => {
      if (!/^\d{1,15}$/.test(id)) return null;
      const row = sql.takeDead.get(this.#name, Number(id)) as { data: Uint8Array } | undefined;
      return row ? row.data : null;
    });
  }

  /** How many dead letters are kept. */
  count(): Promise<number> {
    return this.#connection.run((sql) => (sql.deadCount.get(this.#name) as { n: number }).n);
  }

  /** Deletes every dead letter; resolves to how many there were. */
  flush(): Promise<number> {
    return this.#connection.run((sql) => Number(sql.flushDead.run(this.#name).changes));
  }
}
