/**
 * The markers of the file storage's `enqueueOnce` (the periodic tasks of a
 * minute, unique tasks): `markers/<md5(marker)>/`, whose file `marker` holds
 * its expiry. The messages a marker enqueues are written into its folder
 * before the folder is renamed into place (which only one client wins), then
 * renamed into `queue/` (or, named `s_<schedule file name>`, into
 * `schedule/`) one by one; a crash in between leaves them there until the
 * next `enqueueOnce` or `moveDue` delivers them.
 *
 * @module
 * @internal
 */
import { createHash } from "node:crypto";
import { mkdir, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import {
  attempt,
  ATTEMPTS,
  errorCode,
  list,
  MARKERS,
  nowAndThen,
  QUEUE,
  type QueueFolder,
  readOrNull,
  SCHEDULE,
  TMP,
} from "./_file_folder.ts";
import { stamp } from "./_file_names.ts";

/** The file of a marker's folder that holds its expiry (epoch ms, as text). */
const MARKER_FILE = "marker";
/** The prefix of the files of a marker's folder that go to the schedule. */
const SCHEDULED = "s_";

/** A message of {@linkcode FileMarkers.enqueueOnce}: its bytes and its file name in the queue or schedule. */
export interface MarkedMessage {
  /** The message. */
  readonly data: Uint8Array;
  /** Its file name in `queue/`, or in `schedule/` when `scheduled`. */
  readonly name: string;
  /** It goes to the schedule. */
  readonly scheduled: boolean;
}

/** The markers of one queue's folder; several clients may share it. */
export class FileMarkers {
  #folder: QueueFolder;

  /** @param folder The queue's folder. */
  constructor(folder: QueueFolder) {
    this.#folder = folder;
  }

  /** When the marker in a folder expires (epoch ms); 0 when the folder holds none. */
  async #expires(folder: string): Promise<number> {
    const bytes = await readOrNull(join(folder, MARKER_FILE));
    return bytes === null ? 0 : Number(new TextDecoder().decode(bytes));
  }

  /** The folder of a marker. */
  #markerFolder(marker: string): string {
    return this.#folder.path(MARKERS, createHash("md5").update(marker).digest("hex"));
  }

  /**
   * Takes a marker's folder for this client alone, delivers what a crash
   * left in it, removes it; `true` when the marker had not expired.
   */
  async #drop(folder: string): Promise<boolean> {
    const taken = this.#folder.path(TMP, stamp());
    if (!(await attempt(() => rename(folder, taken)))) return false;
    const live = await this.#expires(taken) > Date.now();
    await this.#deliverFrom(taken);
    await rm(taken, { recursive: true, force: true });
    return live;
  }

  /** Renames the messages in a marker's folder into the queue or the schedule. */
  async #deliverFrom(folder: string): Promise<void> {
    for (const name of await list(folder)) {
      if (name === MARKER_FILE) continue;
      const target = name.startsWith(SCHEDULED)
        ? this.#folder.path(SCHEDULE, name.slice(SCHEDULED.length))
        : this.#folder.path(QUEUE, name);
      await attempt(() => rename(join(folder, name), target));
    }
  }

  /** Removes a marker; `true` when it was set and had not expired. */
  async delete(marker: string): Promise<boolean> {
    return await this.#drop(this.#markerFolder(marker));
  }

  /** Removes the markers that expired by `now` (epoch ms), delivering what a crash left in them. */
  async sweepExpired(now: number): Promise<void> {
    for (const name of await list(this.#folder.path(MARKERS))) {
      if (await this.#expires(this.#folder.path(MARKERS, name)) > now) continue;
      await this.#drop(this.#folder.path(MARKERS, name));
    }
  }

  /** Delivers the messages a crash left in marker folders, at most once a minute per client. */
  readonly deliverNowAndThen: () => Promise<void> = nowAndThen(async () => {
    for (const name of await list(this.#folder.path(MARKERS))) {
      await this.#deliverFrom(this.#folder.path(MARKERS, name));
    }
  });

  /**
   * Enqueues (or schedules) `messages` and sets `marker` for `ttl` seconds
   * (checked), unless it is set; `true` when it did. The messages and the
   * marker are written into a fresh folder under `tmp/`, which is renamed
   * onto the marker's folder: only one racing client wins; the winner then
   * renames the messages into the queue and the schedule.
   */
  async enqueueOnce(
    marker: string,
    messages: readonly MarkedMessage[],
    ttl: number,
  ): Promise<boolean> {
    await this.deliverNowAndThen();
    const folder = this.#markerFolder(marker);
    const staging = this.#folder.path(TMP, stamp());
    await mkdir(staging);
    try {
      for (const { data, name, scheduled } of messages) {
        await writeFile(join(staging, scheduled ? SCHEDULED + name : name), data);
      }
      await writeFile(join(staging, MARKER_FILE), String(Date.now() + ttl * 1000));
      for (let i = 0; i < ATTEMPTS; i++) {
        try {
          await rename(staging, folder);
          await this.#deliverFrom(folder);
          return true;
        } catch (error) {
          // The marker's folder exists (Windows refuses even an empty folder).
          const code = errorCode(error);
          if (code !== "ENOTEMPTY" && code !== "EEXIST" && code !== "EPERM") throw error;
        }
        if (await this.#expires(folder) > Date.now()) return false;
        await this.#drop(folder);
      }
      return false;
    } finally {
      await rm(staging, { recursive: true, force: true });
    }
  }

  /** Removes every marker. */
  async flush(): Promise<void> {
    await this.#folder.empty(MARKERS);
  }
}
