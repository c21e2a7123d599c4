/**
 * The consumer heartbeats of the Postgres storage: one row per consumer id,
 * expiring on the server's clock; reading them deletes the expired ones.
 *
 * @module
 * @internal
 */
import { checkHeartbeatTtl } from "./_event_check.ts";
import { bytes } from "./_postgres_rows.ts";
import type { PostgresSession } from "./_postgres_session.ts";

/** The heartbeats of one Postgres storage. */
export class PostgresHeartbeats {
  #session: PostgresSession;

  /** @param session The storage's session. */
  constructor(session: PostgresSession) {
    this.#session = session;
  }

  /** Stores the record of consumer `id`, replacing the older one, for `ttl` seconds (the server's clock). */
  async put(id: string, record: Uint8Array, ttl: number): Promise<void> {
    await this.#session.query("putHeartbeat", [String(id), record, checkHeartbeatTtl(ttl)]);
  }

  /** The records that have not expired (the expired ones are deleted). */
  async list(): Promise<Uint8Array[]> {
    return (await this.#session.query("heartbeats")).map((row) => bytes(row.record));
  }

  /** Removes the record of `id`; `true` when a live one was there. */
  async delete(id: string): Promise<boolean> {
    const [row] = await this.#session.query("deleteHeartbeat", [String(id)]);
    return row?.live === true;
  }
}
