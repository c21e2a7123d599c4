/**
 * The counters and member sets of the Postgres storage: a counter is one
 * upserted row; a member set is a row locked while a member is added and
 * counted, so concurrent adds take turns. Each checks the caller's arguments
 * itself (`_tally.ts`).
 *
 * @module
 * @internal
 */
import type { TallyOptions } from "./base.ts";
import type { PostgresSession } from "./_postgres_session.ts";
import { checkIncrement, checkMember, checkTallyTtl } from "./_tally.ts";

/** The counters and member sets of one Postgres storage. */
export class PostgresTallies {
  #session: PostgresSession;

  /** @param session The storage's session. */
  constructor(session: PostgresSession) {
    this.#session = session;
  }

  /** Adds `by` to a counter, atomically; a new counter lives `ttl` seconds from its creation. */
  async incr(
    key: string,
    by: number | undefined,
    options: TallyOptions | undefined,
  ): Promise<number> {
    const parameters = [key, checkIncrement(by), checkTallyTtl(options) ?? null];
    const [row] = await this.#session.query("incr", parameters);
    return Number(row.value);
  }

  /** Removes a counter; `true` when a live one was there. */
  async deleteCounter(key: string): Promise<boolean> {
    const [row] = await this.#session.query("deleteCounter", [key]);
    return row?.live === true;
  }

  /**
   * Adds a member to a set and resolves to the set's size, in one
   * transaction that locks the set's row: concurrent adds take turns.
   */
  async addMember(
    key: string,
    member: string,
    options: TallyOptions | undefined,
  ): Promise<number> {
    const ttl = checkTallyTtl(options) ?? null;
    checkMember(member);
    return await this.#session.transaction(async (run) => {
      await run("dropExpiredSet", [key]);
      await run("lockSet", [key, ttl]);
      await run("addMember", [key, member]);
      const [row] = await run("countMembers", [key]);
      return Number(row.n);
    });
  }

  /** Removes a member set; `true` when a live one was there. */
  async deleteMembers(key: string): Promise<boolean> {
    const [row] = await this.#session.query("deleteMembers", [key]);
    return row?.live === true;
  }
}
