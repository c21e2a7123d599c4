/**
 * The failure records of the Postgres storage: one row per task id, the
 * newest with the highest `seq`; adding one locks the table (concurrent adds
 * take turns) and trims to `maxLength` in the same transaction.
 *
 * @module
 * @internal
 */
import { checkMaxLength } from "./_check.ts";
import { bytes, sqlLimit } from "./_postgres_rows.ts";
import type { PostgresSession } from "./_postgres_session.ts";

/** The failure records of one Postgres storage. */
export class PostgresFailures {
  #session: PostgresSession;

  /** @param session The storage's session. */
  constructor(session: PostgresSession) {
    this.#session = session;
  }

  /**
   * Records a failure as the newest (replacing one of the same id), keeping
   * at most `maxLength`, in one transaction; concurrent adds take turns.
   */
  async add(id: string, record: Uint8Array, maxLength: number): Promise<void> {
    checkMaxLength(maxLength);
    await this.#session.transaction(async (run) => {
      await run("lockFailures");
      await run("addFailure", [String(id), record]);
      await run("trimFailures", [maxLength]);
    });
  }

  /** The failure records, newest first, at most `limit`. */
  async list(limit: number | undefined): Promise<Uint8Array[]> {
    const rows = await this.#session.query("failures", [sqlLimit(limit)]);
    return rows.map((row) => bytes(row.data));
  }

  /** Removes the failure record of a task id and resolves to it, or `null`. */
  async take(id: string): Promise<Uint8Array | null> {
    const [row] = await this.#session.query("takeFailure", [String(id)]);
    return row ? bytes(row.data) : null;
  }

  /** Removes every failure record; resolves to how many there were. */
  purge(): Promise<number> {
    return this.#session.count("flushFailures");
  }

  /** How many failure records are kept. */
  count(): Promise<number> {
    return this.#session.count("failureCount");
  }
}
