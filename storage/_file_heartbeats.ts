/**
 * The consumer heartbeats of the file storage: `heartbeats/<md5 of the id>`,
 * each file `[expiry ms, id length][id][record]`, replaced by a rename; an
 * expired file reads as absent, and is removed once it has been expired for
 * a while (so that a read never removes the file a consumer that came back
 * has just put).
 *
 * @module
 * @internal
 */
import { unlink } from "node:fs/promises";
import { checkHeartbeatTtl } from "./_event_check.ts";
import { digestOf } from "./_file_failures.ts";
import {
  attempt,
  list,
  pack,
  type QueueFolder,
  readOrNull,
  SWEEP_INTERVAL,
  unpack,
} from "./_file_folder.ts";

/** The sub-folder of the heartbeats. */
export const HEARTBEATS = "heartbeats";

/** The heartbeats of one queue's folder; several clients may share it. */
export class FileHeartbeats {
  #folder: QueueFolder;

  /** @param folder The queue's folder. */
  constructor(folder: QueueFolder) {
    this.#folder = folder;
  }

  /** Stores the heartbeat record under `id`, replacing the older one, for `ttl` seconds. */
  async put(id: string, record: Uint8Array, ttl: number): Promise<void> {
    const expires = Date.now() + checkHeartbeatTtl(ttl) * 1000;
    await this.#folder.write(HEARTBEATS, digestOf(id), pack(expires, String(id), record));
  }

  /** The heartbeat records that have not expired; removes the files expired for a while. */
  async list(): Promise<Uint8Array[]> {
    const records: Uint8Array[] = [];
    for (const name of await list(this.#folder.path(HEARTBEATS))) {
      const record = await this.#live(name);
      if (record !== null) records.push(record);
    }
    return records;
  }

  /** Removes a live heartbeat record; `true` when there was one. */
  async delete(id: string): Promise<boolean> {
    const name = digestOf(id);
    return (await this.#live(name)) !== null &&
      await attempt(() => unlink(this.#folder.path(HEARTBEATS, name)));
  }

  /** Removes every heartbeat. */
  async flush(): Promise<void> {
    await this.#folder.empty(HEARTBEATS);
  }

  /** The record of a heartbeat file, or `null` when it is gone or expired. */
  async #live(name: string): Promise<Uint8Array | null> {
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
