/**
 * Reading a log kept as rows of lines (SQLite's and PostgreSQL's
 * `event_log`, Redis's stream entries): each row holds the events of one
 * write as lines of text, and an event's `seq` is `<row seq>.<its index in
 * the row>`. A read asks for rows page by page, the first page small and
 * the next ones sized by the events per row seen so far, and expands them
 * into events here; the queries stay with each backend (SQLite's are
 * synchronous, PostgreSQL's and Redis's are not).
 *
 * @module
 * @internal
 */
import type { StoredEvent } from "./base.ts";
import { expandEventLines } from "./_event_lines.ts";
import type { RowPosition } from "./_event_check.ts";

/**
 * A row of the log: its seq (a number in SQL tables, an entry id in a
 * Redis stream), when it was added (epoch ms) and its events, a line each.
 */
export interface EventRow<Seq = number> {
  readonly seq: Seq;
  readonly at: number;
  readonly data: string;
}

/** The newest row of a log: its seq and how many events it holds. */
export interface LastEventRow {
  readonly seq: number;
  readonly count: number;
}

/** Rows the first query of a read asks for; later pages follow the events per row seen. */
const FIRST_PAGE = 16;
/** Rows one query of a read asks for at most. */
const MAX_PAGE = 1000;

/** The next page of a read: the rows after seq `after`, at most `count`. */
export interface NextPage<Seq = number> {
  readonly after: Seq;
  readonly count: number;
}

/**
 * The events of one read, gathered from pages of rows: skips the events
 * of the cursor's row up to its index, and stops at `limit` events.
 *
 * @example
 * ```ts
 * import { RowEvents } from "./_event_rows.ts";
 * const read = new RowEvents<number>({ row: 3, index: 0 }, 10);
 * const next = read.add([{ seq: 3, at: 1, data: "a\nb" }], read.firstPage);
 * console.assert(next === null && read.events[0].seq === "3.1");
 * ```
 */
export class RowEvents<Seq = number> {
  /** The events read so far, oldest first. */
  readonly events: StoredEvent[] = [];
  /** How many rows the first page asks for. */
  readonly firstPage: number;
  #from: RowPosition<Seq> | null;
  #limit: number;
  #rowsRead = 0;

  /**
   * @param from The cursor's place (`null`: from the first row asked for).
   * @param limit The most events the read returns.
   */
  constructor(from: RowPosition<Seq> | null, limit: number) {
    this.#from = from;
    this.#limit = limit;
    this.firstPage = Math.min(limit + 1, FIRST_PAGE);
  }

  /**
   * Takes in a page of rows, in seq order.
   *
   * @param rows The page's rows.
   * @param asked How many rows the page asked for (fewer: the log ends there).
   * @returns The page to read next, or `null` when the read is complete.
   */
  add(rows: readonly EventRow<Seq>[], asked: number): NextPage<Seq> | null {
    const events = this.events;
    for (const { seq, at, data } of rows) {
      const lines = expandEventLines(data.split("\n"));
      const start = seq === this.#from?.row ? this.#from.index + 1 : 0;
      for (let index = start; index < lines.length; index++) {
        if (events.length === this.#limit) return null;
        events.push({ seq: `${seq}.${index}`, at, data: lines[index] });
      }
    }
    if (rows.length < asked || events.length === this.#limit) return null;
    this.#rowsRead += rows.length;
    const perRow = Math.max(1, events.length / this.#rowsRead);
    const count = Math.min(Math.ceil((this.#limit - events.length) / perRow), MAX_PAGE);
    return { after: rows[rows.length - 1].seq, count };
  }
}

/** The seq of the newest event, given the newest row (`undefined`: an empty log). */
export function lastRowSeq(last: LastEventRow | undefined): string | null {
  return last === undefined ? null : `${last.seq}.${last.count - 1}`;
}

/** Whether a log whose newest row is `last` holds an event after `from` (`null`: any). */
export function hasEventAfter(last: LastEventRow | undefined, from: RowPosition | null): boolean {
  if (last === undefined) return false;
  return from === null || last.seq > from.row ||
    (last.seq === from.row && last.count - 1 > from.index);
}
