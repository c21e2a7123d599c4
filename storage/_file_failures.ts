/**
 * The failure records of the file storage: `failures/<stamp>.<md5 of the
 * task id>`, each file `[0, id length][id][record]`; the stamp orders them
 * (newest last). Adding one writes the new file, then removes the older
 * file of the same id and the oldest beyond the cap. Two clients adding the
 * same id at once may both leave a file: every read keeps the newest of an
 * id and removes the older.
 *
 * @module
 * @internal
 */
import { createHash } from "node:crypto";
import { unlink } from "node:fs/promises";
import { checkLimit, checkMaxLength } from "./_check.ts";
import { attempt, list, pack, type QueueFolder, readOrNull, unpack } from "./_file_folder.ts";
import { stamp } from "./_file_names.ts";

/** The sub-folder of the failure records. */
export const FAILURES = "failures";

/** The part of a record's file name after the stamp: the md5 of its task id (any text makes a safe name). */
export function digestOf(id: string): string {
  return createHash("md5").update(String(id)).digest("hex");
}

/** The failure records of one queue's folder; several clients may share it. */
export class FileFailures {
  #folder: QueueFolder;

  /** @param folder The queue's folder. */
  constructor(folder: QueueFolder) {
    this.#folder = folder;
  }

  /** The files of the newest record of each id, newest first; removes the older files of an id. */
  async #scan(): Promise<string[]> {
    const seen = new Set<string>();
    const newest: string[] = [];
    for (const name of (await list(this.#folder.path(FAILURES))).reverse()) {
      const digest = name.slice(name.indexOf(".") + 1);
      if (seen.has(digest)) await this.#remove(name);
      else {
        seen.add(digest);
        newest.push(name);
      }
    }
    return newest;
  }

  /** Removes a record's file; `false` when another client removed it first. */
  #remove(name: string): Promise<boolean> {
    return attempt(() => unlink(this.#folder.path(FAILURES, name)));
  }

  /** Records a failure as the newest, replacing one of the same id, keeping at most `maxLength`. */
  async add(id: string, record: Uint8Array, maxLength: number): Promise<void> {
    checkMaxLength(maxLength);
    await this.#folder.write(FAILURES, `${stamp()}.${digestOf(id)}`, pack(0, String(id), record));
    for (const name of (await this.#scan()).slice(maxLength)) await this.#remove(name);
  }

  /** The records, newest first, at most `limit` (checked). */
  async list(limit: number | undefined): Promise<Uint8Array[]> {
    const wanted = checkLimit(limit);
    const records: Uint8Array[] = [];
    for (const name of await this.#scan()) {
      if (records.length >= wanted) break;
      const bytes = await readOrNull(this.#folder.path(FAILURES, name));
      if (bytes !== null) records.push(unpack(bytes).body);
    }
    return records;
  }

  /** Removes and returns the record of `id` (its newest file), or `null`. */
  async take(id: string): Promise<Uint8Array | null> {
    const suffix = `.${digestOf(id)}`;
    let record: Uint8Array | null = null;
    for (const name of (await list(this.#folder.path(FAILURES))).reverse()) {
      if (!name.endsWith(suffix)) continue;
      const bytes = await this.#folder.claim(this.#folder.path(FAILURES, name));
      if (bytes !== null) record ??= unpack(bytes).body;
    }
    return record;
  }

  /** Removes every record; resolves to how many this call removed. */
  async purge(): Promise<number> {
    let count = 0;
    for (const name of await this.#scan()) if (await this.#remove(name)) count++;
    await this.#folder.empty(FAILURES);
    return count;
  }

  /** How many records are kept. */
  async count(): Promise<number> {
    return (await this.#scan()).length;
  }
}
