/**
 * The event log of the SQLite storage: rows of the `event` table, appended
 * inside the transaction of the write they report (a `finish`, or an
 * `addEvents` batched with it) and trimmed to the cap in that same
 * transaction. `seq` is the row id, never reused, rendered as a decimal
 * string. A follower waits on the file's signal: writes of this thread wake
 * it at once, other processes through a watch on the file.
 *
 * @module
 * @internal
 */
import type { EventsToAdd, ReadEventsOptions, StoredEvent } from "./base.ts";
import { checkReadEvents, counterSeq } from "./_event_check.ts";
import { waitForEvent } from "./_event_wait.ts";
import { settle } from "./_check.ts";
import type { SqliteConnection } from "./_sqlite_connection.ts";
import type { Statements } from "./_sqlite_schema.ts";
import type { FileSignal } from "./_sqlite_wait.ts";

/**
 * Appends checked events to the log of `queue`, in order, then drops the
 * oldest beyond `maxLength`: run it inside the transaction of the write the
 * events report.
 *
 * @param sql The connection's statements.
 * @param queue The queue name.
 * @param events The events (checked with `checkEventsToAdd`).
 */
export function appendEvents(sql: Statements, queue: string, events: EventsToAdd): void {
  const { items, maxLength } = events;
  if (items.length === 0) return;
  let pos = (sql.eventPos.get(queue) as { pos: number }).pos;
  const at = Date.now();
  for (const data of items) sql.addEvent.run(queue, ++pos, at, data);
  if (pos > maxLength) sql.trimEvents.run(queue, pos - maxLength);
}

/** How many statements that write {@linkcode appendEvents} runs for `events`. */
export function eventWrites(events: EventsToAdd | undefined): number {
  return events === undefined || events.items.length === 0 ? 0 : events.items.length + 1;
}

interface EventRow {
  seq: number;
  at: number;
  data: Uint8Array;
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
        const rows = after === undefined && since !== undefined
          ? sql.eventsSince.all(this.#name, since, limit)
          : sql.eventsAfter.all(this.#name, after === undefined ? 0 : counterSeq(after), limit);
        return (rows as unknown as EventRow[]).map(({ seq, at, data }) => ({
          seq: String(seq),
          at,
          data,
        }));
      })
    );
  }

  /** The `seq` of the newest event, or `null`. */
  last(): Promise<string | null> {
    return this.#connection.run((sql) => this.#lastSeq(sql));
  }

  /** Resolves `true` once an event after `after` (`null`: any) is kept, `false` on timeout, abort or close. */
  wait(after: string | null, timeout: number, signal?: AbortSignal): Promise<boolean> {
    return settle(() => (after === null ? 0 : counterSeq(after))).then((seq) =>
      waitForEvent(
        {
          wake: this.#wake,
          hasEvent: () => this.#connection.run((sql) => Number(this.#lastSeq(sql) ?? 0) > seq),
          closed: () => this.#connection.closed,
        },
        timeout,
        signal,
      )
    );
  }

  #lastSeq(sql: Statements): string | null {
    const { seq } = sql.lastEvent.get(this.#name) as { seq: number | null };
    return seq === null ? null : String(seq);
  }
}
