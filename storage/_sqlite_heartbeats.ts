/**
 * The consumer heartbeats of the SQLite storage: one row per queue name
 * and consumer id in the `heartbeat` table, with the epoch ms it expires;
 * an expired row reads as absent and is swept when a heartbeat is put.
 *
 * @module
 * @internal
 */
import { settle } from "./_check.ts";
import { checkHeartbeatTtl } from "./_event_check.ts";
import type { SqliteConnection } from "./_sqlite_connection.ts";

/** The heartbeats of one queue name, on one connection. */
export class SqliteHeartbeats {
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

  /** Stores the record under `id`, replacing the older one, for `ttl` seconds; sweeps expired ones. */
  put(id: string, record: Uint8Array, ttl: number): Promise<void> {
    return settle(() => checkHeartbeatTtl(ttl)).then((seconds) =>
      this.#connection.transaction((sql) => {
        const now = Date.now();
        sql.sweepHeartbeats.run(this.#name, now);
        sql.putHeartbeat.run(this.#name, String(id), record, now + seconds * 1000);
      })
    );
  }

  /** The records that have not expired. */
  list(): Promise<Uint8Array[]> {
    return this.#connection.run((sql) => {
      const rows = sql.heartbeats.all(this.#name, Date.now()) as unknown as {
        record: Uint8Array;
      }[];
      return rows.map((row) => row.record);
    });
  }

  /** Removes a live record; `true` when there was one. */
  delete(id: string): Promise<boolean> {
    return this.#connection.run((sql) => {
      return sql.deleteHeartbeat.run(this.#name, String(id), Date.now()).changes > 0;
    });
  }
}
