/**
 * The dead letters of the Postgres storage: one row each, its id an
 * identity column (never reused), stored by the statement that acks the
 * message it was.
 *
 * @module
 * @internal
 */
import type { DeadLetter } from "./base.ts";
import { bytes, parseReceipt, sqlLimit } from "./_postgres_rows.ts";
import type { PostgresSession } from "./_postgres_session.ts";

/** A row of `dead_letter` as the driver gives it. */
function deadLetter(row: Record<string, unknown>): DeadLetter {
  return {
    id: String(row.id),
    data: bytes(row.data),
    reason: row.reason as string,
    at: new Date(row.at as Date),
  };
}

/** The dead letters of one Postgres storage. */
export class PostgresDeadLetters {
  #session: PostgresSession;

  /** @param session The storage's session. */
  constructor(session: PostgresSession) {
    this.#session = session;
  }

  /** Stores a dead letter and acks `receipt`, in one statement; resolves to its id. */
  async add(data: Uint8Array, reason: string, receipt: string | null): Promise<string> {
    const [id, token] = parseReceipt(receipt);
    const [row] = await this.#session.query("addDead", [data, String(reason), id, token]);
    return String(row.id);
  }

  /** The dead letters, oldest first, at most `limit` (all when `undefined`). */
  async list(limit: number | undefined): Promise<DeadLetter[]> {
    const rows = await this.#session.query("deadLetters", [sqlLimit(limit)]);
    return rows.map(deadLetter);
  }

  /** One dead letter, or `null` for an unknown id. */
  async peek(id: string): Promise<DeadLetter | null> {
    if (!/^\d{1,18}$/.test(id)) return null;
    const [row] = await this.#session.query("peekDead", [id]);
    return row ? deadLetter(row) : null;
  }

  /** Removes one dead letter and returns its message, or `null` for an unknown id. */
  async take(id: string): Promise<Uint8Array | null> {
    if (!/^\d{1,18}$/.test(id)) return null;
    const [row] = await this.#session.query("takeDead", [id]);
    return row ? bytes(row.data) : null;
  }

  /** How many dead letters are kept. */
  count(): Promise<number> {
    return this.#session.count("deadCount");
  }

  /** Deletes every dead letter; resolves to how many there were. */
  flush(): Promise<number> {
    return this.#session.count("flushDead");
  }
}
