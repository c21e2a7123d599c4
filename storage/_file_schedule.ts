/**
 * The schedule of the file storage: `schedule/<eta>-<stamp>-<priority>`, in
 * eta order. A due message is renamed into `queue/` (one rename: it is
 * either scheduled or queued).
 *
 * @module
 * @internal
 */
import { rename } from "node:fs/promises";
import { attempt, list, QUEUE, type QueueFolder, readOrNull, SCHEDULE } from "./_file_folder.ts";
import { dueName, scheduleName, timeOf } from "./_file_names.ts";

/** The scheduled messages of one queue's folder; several clients may share it. */
export class FileSchedule {
  #folder: QueueFolder;

  /** @param folder The queue's folder. */
  constructor(folder: QueueFolder) {
    this.#folder = folder;
  }

  /** Adds a message, to be run at `eta` (epoch ms, checked) and enqueued with `priority`. */
  async add(data: Uint8Array, eta: number, priority: number | undefined): Promise<void> {
    await this.#folder.write(SCHEDULE, scheduleName(eta, priority), data);
  }

  /**
   * Moves up to `limit` messages due at `now` to the queue, soonest first:
   * one rename each. A message another client moved first is skipped.
   */
  async moveDue(now: number, limit: number): Promise<Uint8Array[]> {
    const moved: Uint8Array[] = [];
    for (const name of await list(this.#folder.path(SCHEDULE))) {
      if (moved.length >= limit || timeOf(name) > now) break;
      // Read first: once in the queue, a worker may take the file at once.
      const data = await readOrNull(this.#folder.path(SCHEDULE, name));
      if (data === null) continue;
      const queued = this.#folder.path(QUEUE, dueName(name));
      if (await attempt(() => rename(this.#folder.path(SCHEDULE, name), queued))) moved.push(data);
    }
    return moved;
  }

  /** Takes every message due at `now` (epoch ms), in eta order. */
  async takeDue(now: number): Promise<Uint8Array[]> {
    const due: Uint8Array[] = [];
    for (const name of await list(this.#folder.path(SCHEDULE))) {
      if (timeOf(name) > now) break;
      const data = await this.#folder.claim(this.#folder.path(SCHEDULE, name));
      if (data) due.push(data);
    }
    return due;
  }

  /** How many messages are scheduled. */
  async size(): Promise<number> {
    return (await list(this.#folder.path(SCHEDULE))).length;
  }

  /** The scheduled messages, soonest first, at most `limit` of them. */
  async items(limit: number | undefined): Promise<Uint8Array[]> {
    return await this.#folder.readFirst(SCHEDULE, limit);
  }

  /** Empties the schedule. */
  async flush(): Promise<void> {
    await this.#folder.empty(SCHEDULE);
  }
}
