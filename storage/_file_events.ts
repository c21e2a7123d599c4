/**
 * The event log and the consumer heartbeats of the file storage.
 *
 * - `events/<stamp>`: one event per file, its bytes as they were given. The
 *   stamp (12 hex digits of ms, a per-process sequence, a random part) is
 *   the event's `seq` and its time: names sort in the order one client made
 *   its calls, and two processes never collide. The stamps are taken when
 *   the call is made, the files written after (temp file, then rename); the
 *   cap removes the oldest files beyond `maxLength` after each write.
 * - `heartbeats/<md5 of the id>`: `[expiry ms, id length][id][record]`,
 *   replaced by a rename; an expired file reads as absent, and is removed
 *   once it has been expired for a while (so that a read never removes the
 *   file a consumer that came back has just put).
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
import { checkEventsToAdd, checkHeartbeatTtl, checkReadEvents } from "./_event_check.ts";
import { digestOf } from "./_file_failures.ts";
import { attempt, list, pack, type QueueFolder, readOrNull, unpack } from "./_file_folder.ts";
import { isStamp, stamp, timeOf } from "./_file_names.ts";
import { SWEEP_INTERVAL } from "./_file_folder.ts";

/** The sub-folder of the events. */
export const EVENTS = "events";
/** The sub-folder of the heartbeats. */
export const HEARTBEATS = "heartbeats";

/** Events checked and named when the call was made, to be written later. */
export interface NamedEvents {
  /** A name per event, in order. */
  readonly names: readonly string[];
  /** The events' bytes. */
  readonly items: readonly Uint8Array[];
  /** The cap. */
  readonly maxLength: number;
}

/** The event log and heartbeats of one queue's folder; several clients may share it. */
export class FileEvents {
  #folder: QueueFolder;

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
    const { items, maxLength } = checkEventsToAdd(events);
    return { names: items.map(() => stamp()), items, maxLength };
  }

  /** Writes named events into place, in order, then removes the oldest beyond the cap. */
  async write(events: NamedEvents): Promise<void> {
    const { names, items, maxLength } = events;
    if (names.length === 0) return;
    for (const [index, name] of names.entries()) {
      await this.#folder.write(EVENTS, name, items[index]);
    }
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
      if (data !== null) events.push({ seq, at: timeOf(seq), data });
    }
    return events;
  }

  /** The `seq` of the newest event, or `null`. */
  async last(): Promise<string | null> {
    return (await list(this.#folder.path(EVENTS))).at(-1) ?? null;
  }

  /** Stores the heartbeat record under `id`, replacing the older one, for `ttl` seconds. */
  async putHeartbeat(id: string, record: Uint8Array, ttl: number): Promise<void> {
    const expires = Date.now() + checkHeartbeatTtl(ttl) * 1000;
    await this.#folder.write(HEARTBEATS, digestOf(id), pack(expires, String(id), record));
  }

  /** The heartbeat records that have not expired; removes the files expired for a while. */
  async heartbeats(): Promise<Uint8Array[]> {
    const records: Uint8Array[] = [];
    for (const name of await list(this.#folder.path(HEARTBEATS))) {
      const record = await this.#liveHeartbeat(name);
      if (record !== null) records.push(record);
    }
    return records;
  }

  /** Removes a live heartbeat record; `true` when there was one. */
  async deleteHeartbeat(id: string): Promise<boolean> {
    const name = digestOf(id);
    return (await this.#liveHeartbeat(name)) !== null &&
      await attempt(() => unlink(this.#folder.path(HEARTBEATS, name)));
  }

  /** Removes every event and heartbeat. */
  async flush(): Promise<void> {
    await this.#folder.empty(EVENTS);
    await this.#folder.empty(HEARTBEATS);
  }

  /** The record of a heartbeat file, or `null` when it is gone or expired. */
  async #liveHeartbeat(name: string): Promise<Uint8Array | null> {
    const file = this.#folder.path(HEARTBEATS, name);
    const bytes = await readOrNull(file);
    if (bytes === null) return null;
    const { number: expires, body } = unpack(bytes);
    const now = Date.now();
    if (expires > now) return body;
    if (expires < now - SWEEP_INTERVAL) await attempt(() => unlink(file));
    return null;
  }
}
