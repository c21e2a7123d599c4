/**
 * The event log of the SQLite storage: rows of the `event_log` table, each
 * the events of one write (a turn's completions and `addEvents` calls, one
 * transaction) as lines of text, appended inside that transaction and
 * trimmed to the cap in it: whole oldest rows go while the others still
 * hold the cap. A row's `seq` is never reused; an event's is `<row
 * seq>.<its index in the row>`. A follower waits on the file's signal:
 * writes of this thread wake it at once, other processes through a watch
 * on the file.
 *
 * @module
 * @internal
 */
import type { EventsToAdd, ReadEventsOptions, StoredEvent } from "./base.ts";
import {
  checkReadEvents,
  holdsNoEvent,
  mergeEvents,
  type RowPosition,
  rowSeq,
} from "./_event_check.ts";
import {
  type EventRow,
  hasEventAfter,
  type LastEventRow,
  lastRowSeq,
  RowEvents,
} from "./_event_rows.ts";
import { waitForEvent } from "./_event_wait.ts";
import { settle } from "./_check.ts";
import type { SqliteConnection } from "./_sqlite_connection.ts";
import type { Statements } from "./_sqlite_schema.ts";
import type { FileSignal } from "./_sqlite_wait.ts";

/**
 * Appends the checked events of one transaction's calls to the log of
 * `queue` as one row, in order, then drops the oldest rows beyond the cap
 * each time a tenth of the cap was added (see {@linkcode trimsNow}): run it
 * inside the transaction of the writes the events report.
 *
 * @param sql The connection's statements.
 * @param queue The queue name.
 * @param calls The `addEvents` calls and completions' events, in call order (checked with `checkEventsToAdd`).
 */
export function appendEvents(sql: Statements, queue: string, calls: readonly EventsToAdd[]): void {
  const { items, count, keep } = mergeEvents(calls);
  if (count === 0) return;
  const { pos } = sql.addEvents.get(queue, count, Date.now(), items.join("\n")) as { pos: number };
  if (trimsNow(pos - keep, count, keep)) sql.trimEvents.run(queue, pos - keep);
}

/**
 * Whether a write that moves the log's trim bound (its newest position
 * minus the cap: rows ending at or before it may go) to `bound` by adding
 * `count` events trims: when the bound crosses a multiple of a tenth of the
 * cap `keep`. Deleting a tenth of the cap in one statement writes far fewer
 * pages than deleting a row per write, and the log keeps at most a tenth
 * more than the cap (besides whole rows); every client agrees on which
 * writes trim, without sharing any state.
 *
 * @example
 * ```ts
 * import { trimsNow } from "./_sqlite_events.ts";
 * console.assert(trimsNow(1000, 50, 10_000) && !trimsNow(1050, 50, 10_000));
 * ```
 */
export function trimsNow(bound: number, count: number, keep: number): boolean {
  if (bound <= 0) return false;
  const step = Math.max(1, Math.floor(keep / 10));
  return Math.floor(bound / step) !== Math.floor((bound - count) / step);
}

/** How many statements that write {@linkcode appendEvents} runs for these calls' events. */
export function eventWrites(events: EventsToAdd | undefined): number {
  return holdsNoEvent(events) ? 0 : 1;
}

/**
 * Reads events from rows, page by page: the first page from `first`, the
 * next ones after the last row read.
 */
function readRows(
  sql: Statements,
  queue: string,
  first: (count: number) => EventRow[],
  from: RowPosition | null,
  limit: number,
): StoredEvent[] {
  const read = new RowEvents(from, limit);
  let next = read.add(first(read.firstPage), read.firstPage);
  while (next !== null) {
    const rows = sql.eventsFrom.all(queue, next.after + 1, next.count) as unknown as EventRow[];
    next = read.add(rows, next.count);
  }
  return read.events;
}

/** The event log of one queue name, read on one connection. */
export class SqliteEvents {
  #connection: SqliteConnection;
  #name: string;
  #wake: FileSignal;

  /**
   * @param connection The storage's connection.
   * @param name The queue name.
   * @param wake Woken when events may have been added to the file.
   */
  constructor(connection: SqliteConnection, name: string, wake: FileSignal) {
    this.#connection = connection;
    this.#name = name;
    this.#wake = wake;
  }

  /** The events after `after` or since `since` (all when neither), oldest first, at most `limit`. */
  read(options: ReadEventsOptions): Promise<StoredEvent[]> {
    return settle(() => checkReadEvents(options)).then(({ after, since, limit }) =>
      this.#connection.run((sql) => {
        const from = after === undefined ? null : rowSeq(after);
        const first = (count: number) =>
          (after === undefined && since !== undefined
            ? sql.eventsSince.all(this.#name, since, count)
            : sql.eventsFrom.all(this.#name, from?.row ?? 0, count)) as unknown as EventRow[];
        return readRows(sql, this.#name, first, from, limit);
      })
    );
  }

  /** The `seq` of the newest event, or `null`. */
  last(): Promise<string | null> {
    return this.#connection.run((sql) => lastRowSeq(this.#lastRow(sql)));
  }

  /** Resolves `true` once an event after `after` (`null`: any) is kept, `false` on timeout, abort or close. */
  wait(after: string | null, timeout: number, signal?: AbortSignal): Promise<boolean> {
    return settle(() => (after === null ? null : rowSeq(after))).then((from) =>
      waitForEvent(
        {
          wake: this.#wake,
          hasEvent: () => this.#connection.run((sql) => hasEventAfter(this.#lastRow(sql), from)),
          closed: () => this.#connection.closed,
        },
        timeout,
        signal,
      )
    );
  }

  /** The newest row's seq and count, or `undefined`. */
  #lastRow(sql: Statements): LastEventRow | undefined {
    return sql.lastEvent.get(this.#name) as LastEventRow | undefined;
  }
}
