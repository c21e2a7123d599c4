/**
 * The event log of the Postgres storage: rows of `event_log`, each the
 * events of one statement as lines of text (`_event_rows.ts` reads them).
 * The rows are appended by the `finish` statement (`_postgres_sql.ts`),
 * with the outcomes of a turn's `finish` calls or alone (`addEvents`),
 * which takes the row's `seq` from a counter row it holds until it commits:
 * rows commit in `seq` order across clients. Within one client, the
 * completion statements run one at a time (a serial `Batcher` in
 * `_postgres_queue.ts`: the calls made meanwhile go out together next): two
 * on two pooled connections could take the counter in the wrong order.
 * Followers wait for the `NOTIFY` (`e`) of an insert into the log.
 *
 * @module
 * @internal
 */
import type { ReadEventsOptions, StoredEvent } from "./base.ts";
import { checkReadEvents, checkWaitTimeout, rowSeq } from "./_event_check.ts";
import {
  type EventRow,
  hasEventAfter,
  type LastEventRow,
  lastRowSeq,
  RowEvents,
} from "./_event_rows.ts";
import type { PostgresSession } from "./_postgres_session.ts";

/** The longest a `waitForEvents` waits for a notification before it looks again, in ms. */
const MAX_EVENT_WAIT = 5000;

/** The event log of one Postgres storage. */
export class PostgresEvents {
  #session: PostgresSession;

  /** @param session The storage's session. */
  constructor(session: PostgresSession) {
    this.#session = session;
  }

  /** The kept events after `after` or since `since` (all when neither), oldest first, at most `limit`. */
  async read(options: ReadEventsOptions): Promise<StoredEvent[]> {
    const { after, since, limit } = checkReadEvents(options);
    const from = after === undefined ? null : rowSeq(after);
    const read = new RowEvents(from, limit);
    let next = read.add(
      await (after === undefined && since !== undefined
        ? this.#rows("eventsSince", since, read.firstPage)
        : this.#rows("eventsFrom", from?.row ?? 0, read.firstPage)),
      read.firstPage,
    );
    while (next !== null) {
      next = read.add(await this.#rows("eventsFrom", next.after + 1, next.count), next.count);
    }
    return read.events;
  }

  async #rows(
    statement: "eventsFrom" | "eventsSince",
    start: number,
    count: number,
  ): Promise<EventRow[]> {
    return await this.#session.query(statement, [start, count]) as unknown as EventRow[];
  }

  /** The newest row's seq and count, or `undefined`. */
  async #lastRow(): Promise<LastEventRow | undefined> {
    const [row] = await this.#session.query("lastEvent");
    return row as unknown as LastEventRow | undefined;
  }

  /** The `seq` of the newest kept event, or `null`. */
  async last(): Promise<string | null> {
    return lastRowSeq(await this.#lastRow());
  }

  /**
   * Resolves `true` once the log holds an event after `after` (`null`:
   * any), woken by the `NOTIFY` of an insert (and looking again every
   * {@linkcode MAX_EVENT_WAIT} ms: a notification lost while the listener
   * reconnected); `false` after `timeout` ms, when `signal` aborts or the
   * storage closes.
   */
  async wait(after: string | null, timeout: number, signal?: AbortSignal): Promise<boolean> {
    const from = after === null ? null : rowSeq(after);
    const deadline = Date.now() + checkWaitTimeout(timeout);
    const has = async (): Promise<boolean> => hasEventAfter(await this.#lastRow(), from);
    await this.#session.listen();
    // Ends the wait registered last, once this call returns.
    const done = new AbortController();
    const stop = signal ? AbortSignal.any([signal, done.signal]) : done.signal;
    try {
      while (!signal?.aborted && !this.#session.closed) {
        const remaining = Math.min(deadline - Date.now(), MAX_EVENT_WAIT);
        const waiting = this.#session.wakeups.waitEvents(remaining, stop);
        if (await has()) return true;
        await waiting;
        if (Date.now() >= deadline) return !signal?.aborted && await has();
      }
      return false;
    } finally {
      done.abort();
    }
  }
}
