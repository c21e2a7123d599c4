/**
 * The event log of the memory storage: a capped list whose `seq` is a
 * counter rendered as a decimal string (it keeps counting across
 * `flushAll`, so a cursor never names two events), with followers woken in
 * this process when events are added.
 *
 * @module
 * @internal
 */
import type { EventsToAdd, ReadEventsOptions, StoredEvent } from "./base.ts";
import { expandEventLines } from "./_event_lines.ts";
import { checkEventsToAdd, checkReadEvents, counterSeq, linesToStore } from "./_event_check.ts";
import { waitForEvent } from "./_event_wait.ts";
import { FileSignal } from "./_sqlite_wait.ts";

interface Entry {
  readonly seq: number;
  readonly at: number;
  readonly data: string;
}

/**
 * One memory storage's event log.
 *
 * @example
 * ```ts
 * import { MemoryEvents } from "./_memory_events.ts";
 * const log = new MemoryEvents(Date.now);
 * log.add({ items: ["{}", "{}"], maxLength: 1 });
 * console.assert(log.read({ limit: 10 }).length === 1 && log.last() === "2");
 * ```
 */
export class MemoryEvents {
  #clock: () => number;
  /** Oldest first; the kept ones start at `#head` (dropped ones are spliced off in batches). */
  #entries: Entry[] = [];
  #head = 0;
  #seq = 0;
  /** Wakes followers of this log (this process only: the log lives nowhere else). */
  #added = new FileSignal(null);
  #closed = false;

  /** @param clock The time in epoch ms, read as each event is added. */
  constructor(clock: () => number) {
    this.#clock = clock;
  }

  /** Appends the events in order, drops the oldest beyond `maxLength`, wakes followers. */
  add(events: EventsToAdd): void {
    const { maxLength } = checkEventsToAdd(events);
    const items = expandEventLines([...linesToStore(events)]);
    if (items.length === 0) return;
    const at = this.#clock();
    for (const data of items) this.#entries.push({ seq: ++this.#seq, at, data });
    this.#head = Math.max(this.#head, this.#entries.length - maxLength);
    if (this.#head > this.#entries.length / 2) {
      this.#entries.splice(0, this.#head);
      this.#head = 0;
    }
    this.#added.notify();
  }

  /** The kept events after `after` or since `since` (all when neither), oldest first, at most `limit`. */
  read(options: ReadEventsOptions): StoredEvent[] {
    const { after, since, limit } = checkReadEvents(options);
    const start = after !== undefined
      ? this.#indexAfter(counterSeq(after))
      : this.#indexSince(since ?? -Infinity);
    return this.#entries.slice(start, start + limit).map(({ seq, at, data }) => ({
      seq: String(seq),
      at,
      data,
    }));
  }

  /** The `seq` of the newest kept event, or `null`. */
  last(): string | null {
    return this.#entries.length > this.#head ? String(this.#entries.at(-1)!.seq) : null;
  }

  /**
   * Resolves `true` once an event after `after` (`null`: any) is kept, or
   * `false` after `timeout` ms, when `signal` aborts or when the log closes.
   */
  wait(after: string | null, timeout: number, signal?: AbortSignal): Promise<boolean> {
    const seq = after === null ? 0 : counterSeq(after);
    return waitForEvent(
      {
        wake: this.#added,
        hasEvent: () => this.#entries.length > this.#head && this.#entries.at(-1)!.seq > seq,
        closed: () => this.#closed,
      },
      timeout,
      signal,
    );
  }

  /** Drops every event (the counter goes on). */
  clear(): void {
    this.#entries = [];
    this.#head = 0;
  }

  /** Drops every event and makes pending waits resolve `false`. */
  close(): void {
    this.clear();
    this.#closed = true;
    this.#added.notify();
  }

  /** The first kept index whose seq is greater than `seq` (seqs increase: a binary search). */
  #indexAfter(seq: number): number {
    let low = this.#head;
    let high = this.#entries.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (this.#entries[middle].seq <= seq) low = middle + 1;
      else high = middle;
    }
    return low;
  }

  /** The first kept index added at or after `since` (an injected clock may go back: a scan). */
  #indexSince(since: number): number {
    const index = this.#entries.findIndex((entry, at) => at >= this.#head && entry.at >= since);
    return index === -1 ? this.#entries.length : index;
  }
}
