/**
 * The event log of the file storage.
 *
 * `events/<stamp>`: one event per file, its text (UTF-8) as it was given. The
 * stamp (12 hex digits of ms, a per-process sequence, a random part) is the
 * event's `seq` and its time: names sort in the order one client made its
 * calls, and two processes never collide. The stamps are taken when the call
 * is made, the files written after (temp file, then rename); the cap removes
 * the oldest files beyond `maxLength`, checked every {@linkcode trimEvery}
 * events a client writes (listing the folder on every write would cost a
 * 10,000-file listing per task): a log may hold up to that many more per
 * client, never fewer.
 *
 * Files have no transactions: a follower that reads while another process
 * writes may see a later-named file before an earlier-named one lands.
 *
 * @module
 * @internal
 */
import { unlink } from "node:fs/promises";
import type { EventsToAdd, ReadEventsOptions, StoredEvent } from "./base.ts";
import { checkOption } from "../_options.ts";
import { expandEventLines } from "./_event_lines.ts";
import { checkEventsToAdd, checkReadEvents, linesToStore } from "./_event_check.ts";
import { attempt, list, type QueueFolder, readOrNull } from "./_file_folder.ts";
import { isStamp, stamp, timeOf } from "./_file_names.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** The sub-folder of the events. */
export const EVENTS = "events";

/** Events checked and named when the call was made, to be written later. */
export interface NamedEvents {
  /** A name per event, in order. */
  readonly names: readonly string[];
  /** The events' texts. */
  readonly items: readonly string[];
  /** The cap. */
  readonly maxLength: number;
}

/**
 * How many events a client writes between two trims of the log to
 * `maxLength`: a tenth of it, from 1 (an exact cap for small logs) to 100.
 */
export function trimEvery(maxLength: number): number {
  return Math.max(1, Math.min(100, Math.floor(maxLength / 10)));
}

/** The event log of one queue's folder; several clients may share it. */
export class FileEvents {
  #folder: QueueFolder;
  /** Events this client wrote since it last trimmed the log. */
  #sinceTrim = 0;

  /** @param folder The queue's folder. */
  constructor(folder: QueueFolder) {
    this.#folder = folder;
  }

  /**
   * Checks the events and names them now (synchronously), so that their
   * order is the order of the calls, whenever they are written.
   *
   * @throws {ConfigurationError} `maxLength` or `items` is not allowed.
   */
  name(events: EventsToAdd): NamedEvents {
    const { maxLength } = checkEventsToAdd(events);
    const items = expandEventLines([...linesToStore(events)]);
    return { names: items.map(() => stamp()), items, maxLength };
  }

  /** Writes named events into place, in order, then removes the oldest beyond the cap (at times). */
  async write(events: NamedEvents): Promise<void> {
    const { names, items, maxLength } = events;
    if (names.length === 0) return;
    for (const [index, name] of names.entries()) {
      await this.#folder.write(EVENTS, name, encoder.encode(items[index]));
    }
    this.#sinceTrim += names.length;
    if (this.#sinceTrim < trimEvery(maxLength)) return;
    this.#sinceTrim = 0;
    const kept = await list(this.#folder.path(EVENTS));
    for (const name of kept.slice(0, Math.max(0, kept.length - maxLength))) {
      await attempt(() => unlink(this.#folder.path(EVENTS, name)));
    }
  }

  /** The events after `after` or since `since` (all when neither), oldest first, at most `limit`. */
  async read(options: ReadEventsOptions): Promise<StoredEvent[]> {
    const { after, since, limit } = checkReadEvents(options);
    if (after !== undefined) checkOption(isStamp(after), "after", after, "a seq of this log");
    const names = (await list(this.#folder.path(EVENTS))).filter((name) =>
      after !== undefined ? name > after : since === undefined || timeOf(name) >= since
    );
    const events: StoredEvent[] = [];
    for (const seq of names) {
      if (events.length >= limit) break;
      const data = await readOrNull(this.#folder.path(EVENTS, seq));
      if (data !== null) events.push({ seq, at: timeOf(seq), data: decoder.decode(data) });
    }
    return events;
  }

  /** The `seq` of the newest event, or `null`. */
  async last(): Promise<string | null> {
    return (await list(this.#folder.path(EVENTS))).at(-1) ?? null;
  }

  /** Removes every event. */
  async flush(): Promise<void> {
    await this.#folder.empty(EVENTS);
  }
}
