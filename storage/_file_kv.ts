/**
 * The key/value store of the file storage: `results/<md5[0]>/.../<md5(key)>/<stamp>`,
 * one folder per key, whose newest file holds the value. A value file is
 * `[expiry ms or 0, key length][key][value]`. The counters, member sets and
 * their locks are kept the same way under folders of their own.
 *
 * @module
 * @internal
 */
import { Buffer } from "node:buffer";
import { mkdir, rename, rm, rmdir, unlink, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { HueyError } from "../errors.ts";
import {
  attempt,
  ATTEMPTS,
  errorCode,
  list,
  pack,
  type QueueFolder,
  readOrNull,
  RESULTS,
  TMP,
  unpack,
} from "./_file_folder.ts";
import { keyPath, stamp } from "./_file_names.ts";

/** A key's value file, read. */
interface Entry {
  readonly key: string;
  readonly value: Uint8Array;
  /** Epoch ms; 0 never expires. */
  readonly expires: number;
  readonly expired: boolean;
}

function decodeEntry(bytes: Uint8Array): Entry {
  const { number: expires, text: key, body: value } = unpack(bytes);
  return { key, value, expires, expired: expires !== 0 && expires <= Date.now() };
}

/** The keys and values of one queue's folder; several clients may share it. */
export class FileKeyValues {
  #folder: QueueFolder;
  #levels: number;
  #name: string;
  #root: string;

  /**
   * @param folder The queue's folder.
   * @param levels How many levels of sub-folders spread the key folders (checked).
   * @param name The queue name, for error messages.
   * @param root The sub-folder of the queue's folder that holds the keys.
   */
  constructor(folder: QueueFolder, levels: number, name: string, root: string = RESULTS) {
    this.#folder = folder;
    this.#levels = levels;
    this.#name = name;
    this.#root = root;
  }

  /** The folder of a key: `<root>/<md5[0]>/.../<md5>`. */
  #keyFolder(key: string): string {
    return this.#folder.path(this.#root, ...keyPath(key, this.#levels));
  }

  /** The newest value file of a key folder and its entry, or `null` when there is none. */
  async #current(folder: string): Promise<{ names: string[]; entry: Entry } | null> {
    for (let i = 0; i < ATTEMPTS; i++) {
      const names = await list(folder);
      if (names.length === 0) return null;
      const bytes = await readOrNull(join(folder, names[names.length - 1]));
      if (bytes) return { names, entry: decodeEntry(bytes) };
    }
    return null;
  }

  /** Stores a value under a key, replacing any other (and its ttl). */
  async put(key: string, value: Uint8Array): Promise<void> {
    // Older values go; a newer one written meanwhile by another client stays.
    await this.#write(key, value, 0, (old, name) => old < name);
  }

  /**
   * Stores a value under a key, to expire at `expires` (epoch ms; 0: never),
   * and removes every other value of the key: for a caller that holds the
   * key's lock (the names of two processes' files written in one
   * millisecond do not sort in the order they were written).
   */
  async replace(key: string, value: Uint8Array, expires: number): Promise<void> {
    await this.#write(key, value, expires, () => true);
  }

  /** Writes a new value file for `key`, then removes the other files for which `drop` holds. */
  async #write(
    key: string,
    value: Uint8Array,
    expires: number,
    drop: (old: string, name: string) => boolean,
  ): Promise<void> {
    const folder = this.#keyFolder(key);
    const name = stamp();
    const temp = await this.#folder.writeTemp(pack(expires, key, value));
    // The folder may vanish (a pop removes it once empty) between mkdir and rename.
    for (let i = 0; !(await attempt(() => rename(temp, join(folder, name)))); i++) {
      if (i === ATTEMPTS) throw new HueyError(`FileStorage '${this.#name}' could not write ${key}`);
      await mkdir(folder, { recursive: true });
    }
    for (const old of await list(folder)) {
      if (old !== name && drop(old, name)) await attempt(() => unlink(join(folder, old)));
    }
  }

  /** Reads a value without removing it; `null` when there is none or it has expired. */
  async peek(key: string): Promise<Uint8Array | null> {
    return (await this.entry(key))?.value ?? null;
  }

  /** Reads a value and its expiry (epoch ms; 0: never); `null` when there is none or it has expired. */
  async entry(key: string): Promise<{ value: Uint8Array; expires: number } | null> {
    const current = await this.#current(this.#keyFolder(key));
    return current && !current.entry.expired ? current.entry : null;
  }

  /** Reads and removes a value; `null` when there is none or it has expired. */
  async pop(key: string): Promise<Uint8Array | null> {
    const folder = this.#keyFolder(key);
    for (let i = 0; i < ATTEMPTS; i++) {
      const names = await list(folder);
      if (names.length === 0) return null;
      const bytes = await this.#folder.claim(join(folder, names[names.length - 1]));
      if (bytes === null) continue;
      for (const old of names.slice(0, -1)) await attempt(() => unlink(join(folder, old)));
      // Only an empty folder goes: a value put meanwhile keeps it.
      await rmdir(folder).catch(() => {});
      const entry = decodeEntry(bytes);
      return entry.expired ? null : entry.value;
    }
    return null;
  }

  /**
   * Removes the key only while its value is exactly `value`; `true` when it
   * did. The value's file itself is renamed away, so a newer value (a lock
   * taken by another holder after this one expired) is never removed.
   */
  async deleteIfEquals(key: string, value: Uint8Array): Promise<boolean> {
    const folder = this.#keyFolder(key);
    const current = await this.#current(folder);
    if (
      current === null || current.entry.expired || Buffer.compare(current.entry.value, value) !== 0
    ) return false;
    const held = current.names[current.names.length - 1];
    if ((await this.#folder.claim(join(folder, held))) === null) return false;
    for (const old of current.names.slice(0, -1)) await attempt(() => unlink(join(folder, old)));
    await rmdir(folder).catch(() => {});
    return true;
  }

  /**
   * Stores the value only if the key is empty or expired, expiring after
   * `ttl` seconds if given (checked); `true` when it did.
   *
   * The value is written into a fresh folder under `tmp/`, which is renamed
   * onto the key's folder: a rename onto a folder that is not empty fails, so
   * exactly one racing client wins. An expired value is removed by renaming
   * that very file away, which cannot remove a newer value.
   */
  async putIfEmpty(key: string, value: Uint8Array, ttl: number | undefined): Promise<boolean> {
    const folder = this.#keyFolder(key);
    const staging = this.#folder.path(TMP, stamp());
    await mkdir(staging);
    await writeFile(join(staging, stamp()), pack(ttl ? Date.now() + ttl * 1000 : 0, key, value));
    try {
      for (let i = 0; i < ATTEMPTS; i++) {
        try {
          await rename(staging, folder);
          return true;
        } catch (error) {
          const code = errorCode(error);
          if (code === "ENOENT") {
            await mkdir(dirname(folder), { recursive: true });
            continue;
          }
          // The key's folder holds a value (Windows refuses even an empty folder).
          if (code !== "ENOTEMPTY" && code !== "EEXIST" && code !== "EPERM") throw error;
        }
        const current = await this.#current(folder);
        if (current === null) await rmdir(folder).catch(() => {});
        else if (!current.entry.expired) return false;
        else await attempt(() => unlink(join(folder, current.names[current.names.length - 1])));
      }
      return false;
    } finally {
      await rm(staging, { recursive: true, force: true });
    }
  }

  /** Deletes the keys whose ttl has passed (only the files listed: a value put meanwhile stays). */
  async sweepExpired(): Promise<void> {
    for (const folder of await this.#keyFolders()) {
      const current = await this.#current(folder);
      if (current === null || !current.entry.expired) continue;
      for (const name of current.names) await attempt(() => unlink(join(folder, name)));
      await rmdir(folder).catch(() => {});
    }
  }

  /** Every key folder, listed level by level. */
  async #keyFolders(): Promise<string[]> {
    let folders = [this.#folder.path(this.#root)];
    for (let level = 0; level <= this.#levels; level++) {
      const children = await Promise.all(
        folders.map(async (folder) => (await list(folder)).map((name) => join(folder, name))),
      );
      folders = children.flat();
    }
    return folders;
  }

  /** Every stored key and its value (expired ones excluded). */
  async items(): Promise<Map<string, Uint8Array>> {
    const items = new Map<string, Uint8Array>();
    for (const folder of await this.#keyFolders()) {
      const current = await this.#current(folder);
      if (current && !current.entry.expired) items.set(current.entry.key, current.entry.value);
    }
    return items;
  }

  /** Removes every key; the root folder stays. */
  async flush(): Promise<void> {
    await this.#folder.empty(this.#root);
  }
}
