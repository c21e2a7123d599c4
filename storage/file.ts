/**
 * The file-system storage (huey's `FileStorage`): one folder per queue name,
 * one file per message, and no lock. Every step that two processes could race
 * on is a single atomic file-system operation (rename, hard link, exclusive
 * create, `rmdir` of an empty folder), so several processes on one machine can
 * share a folder safely.
 *
 * Layout under `<path>/<name>/` (names sort in the order they are read):
 * - `queue/<priority>-<stamp>`: a waiting message; `<priority>` is
 *   `0x7fffffff - priority` in 8 hex digits (higher first), `<stamp>` is the
 *   creation time and a sequence number, then a random suffix (FIFO, unique);
 * - `leases/<deadline>-<receipt>-<queue file name>`: a leased message;
 * - `schedule/<eta>-<stamp>-<priority>`: a scheduled message, `<eta>` in 12 hex
 *   digits of ms; once due it is renamed into `queue/` (one rename: it is
 *   either scheduled or queued);
 * - `results/<md5[0]>/<md5[1]>/<md5(key)>/<stamp>`: a key's value (`levels`
 *   md5 characters pick the sub-folders); the newest file in the key's folder
 *   wins; keys whose ttl has passed are deleted at most once a minute;
 * - `markers/<md5(marker)>/`: a marker of `enqueueOnce`: the file `marker`
 *   holds its expiry; the messages it enqueues are written into the folder
 *   before it is renamed into place (which only one client wins), then
 *   renamed into `queue/` one by one (a crash in between leaves them there
 *   until the next `enqueueOnce` or `moveDue` delivers them);
 * - `dead/<stamp>`: a dead letter;
 * - `tmp/`: files being written, renamed into place once complete.
 *
 * @module
 */
import { Buffer } from "node:buffer";
import { createHash } from "node:crypto";
import { mkdirSync } from "node:fs";
import { mkdir, readdir, readFile, rename, rm, rmdir, unlink, writeFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import type {
  DeadLetter,
  Delivery,
  DequeueOptions,
  EnqueueOnceOptions,
  FinishOptions,
  PutDataOptions,
  PutIfEmptyOptions,
  Storage,
} from "./base.ts";
import { HueyError } from "../errors.ts";
import { checkInteger, checkNumber, checkText, optionError } from "../_options.ts";
import { checkLimit, closedError } from "./_check.ts";
import {
  dueName,
  isReceipt,
  isStamp,
  keyPath,
  leaseName,
  newReceipt,
  parseLease,
  queueName,
  scheduleName,
  stamp,
  timeOf,
} from "./_file_names.ts";

/** Options of {@linkcode FileStorage}. */
export interface FileStorageOptions {
  /** The folder that holds the queues; each queue name gets its own sub-folder. Required. */
  path: string;
  /**
   * How many levels of sub-folders (named by the first characters of the
   * key's md5) spread the result files, from 0 to 4.
   * @default 2
   */
  levels?: number;
}

const QUEUE = "queue";
const LEASES = "leases";
const SCHEDULE = "schedule";
const RESULTS = "results";
const DEAD = "dead";
const MARKERS = "markers";
const TMP = "tmp";
const FOLDERS = [QUEUE, LEASES, SCHEDULE, RESULTS, DEAD, MARKERS, TMP];
/** The file of a marker's folder that holds its expiry (epoch ms, as text). */
const MARKER_FILE = "marker";

/** How often (ms) a client deletes expired keys and markers, when it writes a key with a ttl. */
const SWEEP_INTERVAL = 60_000;

/** Bounds the retries of a read or write that lost a race to another client. */
const ATTEMPTS = 50;
/** How many files `enqueueMany` writes at once. */
const BATCH = 64;
/** Files left in `tmp/` by a crash are removed by `flushAll` once this old (ms). */
const TMP_MAX_AGE = 60_000;

function errorCode(error: unknown): unknown {
  return (error as { code?: unknown } | null)?.code;
}

/** Runs a file operation; `false` when its source vanished (ENOENT), another client won. */
async function attempt(operation: () => Promise<unknown>): Promise<boolean> {
  try {
    await operation();
    return true;
  } catch (error) {
    if (errorCode(error) === "ENOENT") return false;
    throw error;
  }
}

/** A file's bytes (a plain Uint8Array), or `null` when it is gone. */
async function readOrNull(file: string): Promise<Uint8Array | null> {
  let bytes: Uint8Array | null = null;
  await attempt(async () => bytes = new Uint8Array(await readFile(file)));
  return bytes;
}

/** The entries of a folder, sorted; none when it is gone. */
async function list(folder: string): Promise<string[]> {
  let names: string[] = [];
  await attempt(async () => names = (await readdir(folder)).sort());
  return names;
}

/** Concatenates a header of `[float64 number, uint32 length]`, a text and a body. */
function pack(number: number, text: string, body: Uint8Array): Uint8Array {
  const head = new TextEncoder().encode(text);
  const out = new Uint8Array(12 + head.length + body.length);
  const view = new DataView(out.buffer);
  view.setFloat64(0, number);
  view.setUint32(8, head.length);
  out.set(head, 12);
  out.set(body, 12 + head.length);
  return out;
}

function unpack(bytes: Uint8Array): { number: number; text: string; body: Uint8Array } {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const end = 12 + view.getUint32(8);
  const text = new TextDecoder().decode(bytes.subarray(12, end));
  return { number: view.getFloat64(0), text, body: bytes.slice(end) };
}

/** A key's value file: `[expiry ms or 0, key length][key][value]`. */
interface Entry {
  readonly key: string;
  readonly value: Uint8Array;
  readonly expired: boolean;
}

function decodeEntry(bytes: Uint8Array): Entry {
  const { number: expires, text: key, body: value } = unpack(bytes);
  return { key, value, expired: expires !== 0 && expires <= Date.now() };
}

/**
 * Keeps each queue in a folder of its own under `path`, as files whose names
 * sort in dequeue order. Several processes may share the folder: taking a
 * message is a rename, which only one of them wins, so no lock is needed.
 * Priorities are 32-bit integers (higher first, FIFO within one), `dequeue`
 * never blocks, and expired leases are renamed back into the queue, with
 * their old name and place, by the next `dequeue`, `queueSize` or
 * `enqueuedItems`. Files are not fsynced.
 *
 * @example
 * ```ts
 * import { mkdtempSync, rmSync } from "node:fs";
 * import { tmpdir } from "node:os";
 * import { join } from "node:path";
 * import { FileStorage } from "./file.ts";
 * const path = mkdtempSync(join(tmpdir(), "huey-"));
 * const storage = new FileStorage("demo", { path });
 * await storage.enqueue(new TextEncoder().encode("low"));
 * await storage.enqueue(new TextEncoder().encode("high"), 10);
 * const delivery = await storage.dequeue({ lease: 30 });
 * console.assert(new TextDecoder().decode(delivery!.data) === "high");
 * await storage.ack(delivery!.receipt!);
 * await storage.close();
 * rmSync(path, { recursive: true });
 * ```
 */
export class FileStorage implements Storage {
  /** The queue name, also the name of its folder under `path`. */
  readonly name: string;
  /** Always `false`: an empty queue gives `null` at once. */
  readonly blocking: boolean = false;
  /** Always `true`. */
  readonly priority: boolean = true;
  /** The queue's folder, absolute (a relative `path` resolves against the working directory). */
  readonly location: string;

  #root: string;
  #levels: number;
  #closed = false;
  /** When this client last deleted expired keys (epoch ms); 0: not yet. */
  #lastSweep = 0;
  /** When this client last delivered the messages of markers left by a crash (epoch ms). */
  #lastDelivery = 0;

  /**
   * Creates the queue's folders if they do not exist.
   *
   * @param name The queue name: a folder name (not empty, no `/` or `\`, not `.` or `..`).
   * @param options See {@linkcode FileStorageOptions}.
   * @throws {ConfigurationError} `name` is not a folder name, `path` is missing or not a
   *   string, or `levels` is not an integer from 0 to 4.
   */
  constructor(name: string, options: FileStorageOptions) {
    const { path, levels = 2 } = options ?? {};
    if (typeof name !== "string" || /^\.{0,2}$|[/\\\0]/.test(name)) {
      throw optionError("name", name, 'a folder name (not empty, no "/" or "\\", not "." or "..")');
    }
    checkText("path", path);
    checkInteger("levels", levels, 0, 4);
    this.name = name;
    this.#root = join(path, name);
    this.location = resolve(this.#root);
    this.#levels = levels;
    for (const folder of FOLDERS) mkdirSync(join(this.#root, folder), { recursive: true });
  }

  #checkOpen(): void {
    if (this.#closed) throw closedError("FileStorage", this.name);
  }

  #path(...parts: string[]): string {
    return join(this.#root, ...parts);
  }

  /** Writes a complete file under `tmp/`, ready to be renamed into place. */
  async #writeTemp(bytes: Uint8Array): Promise<string> {
    const file = this.#path(TMP, stamp());
    await writeFile(file, bytes);
    return file;
  }

  /** Writes a file so that readers only ever see it whole. */
  async #write(folder: string, name: string, bytes: Uint8Array): Promise<void> {
    await rename(await this.#writeTemp(bytes), this.#path(folder, name));
  }

  /** Takes a file for this caller alone and removes it: its bytes, or `null` if another won. */
  async #claim(file: string): Promise<Uint8Array | null> {
    const taken = this.#path(TMP, stamp());
    if (!(await attempt(() => rename(file, taken)))) return null;
    const bytes = await readOrNull(taken);
    await attempt(() => unlink(taken));
    return bytes;
  }

  /** Reads the first `limit` files of a folder, skipping those taken meanwhile. */
  async #readFirst(folder: string, limit: number | undefined): Promise<Uint8Array[]> {
    const wanted = checkLimit(limit);
    const out: Uint8Array[] = [];
    for (const name of await list(this.#path(folder))) {
      if (out.length >= wanted) break;
      const bytes = await readOrNull(this.#path(folder, name));
      if (bytes) out.push(bytes);
    }
    return out;
  }

  /** Removes every file of a folder; resolves to how many this call removed. */
  async #empty(folder: string): Promise<number> {
    let count = 0;
    for (const name of await list(this.#path(folder))) {
      if (await attempt(() => rm(this.#path(folder, name), { recursive: true }))) count++;
    }
    return count;
  }

  /** Renames leases whose deadline has passed back to their queue name (and place). */
  async #recoverLeases(): Promise<void> {
    const now = Date.now();
    for (const name of await list(this.#path(LEASES))) {
      if (timeOf(name) > now) continue;
      await attempt(() =>
        rename(this.#path(LEASES, name), this.#path(QUEUE, parseLease(name).message))
      );
    }
  }

  /**
   * Moves the lease file of `receipt` with `move` (retrying when a renew by
   * another client renamed it meanwhile); nothing when the receipt is unknown.
   */
  async #withLease(
    receipt: string,
    move: (file: string, name: string) => Promise<void>,
  ): Promise<void> {
    if (!isReceipt(receipt)) return;
    for (let i = 0; i < ATTEMPTS; i++) {
      const name = (await list(this.#path(LEASES))).find((file) =>
        parseLease(file).receipt === receipt
      );
      if (name === undefined || (await attempt(() => move(this.#path(LEASES, name), name)))) return;
    }
  }

  /** Adds a message to the queue; higher `priority` first, FIFO within one. */
  async enqueue(data: Uint8Array, priority?: number): Promise<void> {
    await this.enqueueMany([{ data, priority }]);
  }

  /** Adds several messages to the queue, in order. */
  async enqueueMany(items: ReadonlyArray<{ data: Uint8Array; priority?: number }>): Promise<void> {
    this.#checkOpen();
    const names = items.map(({ priority }) => queueName(priority));
    const temps: string[] = [];
    for (let start = 0; start < items.length; start += BATCH) {
      const batch = items.slice(start, start + BATCH);
      temps.push(...await Promise.all(batch.map(({ data }) => this.#writeTemp(data))));
    }
    // Renamed one by one, so that no reader sees a later message before an earlier one.
    for (const [index, temp] of temps.entries()) {
      await rename(temp, this.#path(QUEUE, names[index]));
    }
  }

  /** Takes the next message by renaming its file (into `leases/` with a lease); `null` if none. */
  async dequeue(options: DequeueOptions = {}): Promise<Delivery | null> {
    this.#checkOpen();
    const { lease = 0, signal } = options;
    checkNumber("lease", lease, ">= 0");
    if (signal?.aborted) return null;
    await this.#recoverLeases();
    for (const name of await list(this.#path(QUEUE))) {
      const receipt = lease > 0 ? newReceipt() : null;
      if (receipt === null) {
        const data = await this.#claim(this.#path(QUEUE, name));
        if (data) return { data, receipt };
        continue;
      }
      const leased = this.#path(LEASES, leaseName(lease, receipt, name));
      if (!(await attempt(() => rename(this.#path(QUEUE, name), leased)))) continue;
      const data = await readOrNull(leased);
      if (data) return { data, receipt };
    }
    return null;
  }

  /** Removes a leased message for good; unknown or outdated receipts are ignored. */
  async ack(receipt: string): Promise<void> {
    this.#checkOpen();
    await this.#withLease(receipt, (file) => unlink(file));
  }

  /** Removes `deleteKeys`, stores `result`, then acks `receipt` (files have no transactions: in that order). */
  async finish(receipt: string | null, options: FinishOptions): Promise<void> {
    const { deleteKeys = [], result } = options;
    for (const key of deleteKeys) await this.deleteData(key);
    if (result) await this.putData(result.key, result.value, { isResult: true });
    if (receipt !== null) await this.ack(receipt);
  }

  /** Extends these leases to `lease` seconds from now; unknown receipts are ignored. */
  async renew(receipts: readonly string[], lease: number): Promise<void> {
    this.#checkOpen();
    checkNumber("lease", lease, ">= 0");
    for (const receipt of receipts) {
      await this.#withLease(receipt, (file, name) => {
        const { message } = parseLease(name);
        return rename(file, this.#path(LEASES, leaseName(lease, receipt, message)));
      });
    }
  }

  /** Puts a leased message back on the queue at once, in its old place. */
  async release(receipt: string): Promise<void> {
    this.#checkOpen();
    await this.#withLease(
      receipt,
      (file, name) => rename(file, this.#path(QUEUE, parseLease(name).message)),
    );
  }

  /** How many messages are waiting (leased ones excluded). */
  async queueSize(): Promise<number> {
    this.#checkOpen();
    await this.#recoverLeases();
    return (await list(this.#path(QUEUE))).length;
  }

  /** The waiting messages in dequeue order, at most `limit` of them. */
  async enqueuedItems(limit?: number): Promise<Uint8Array[]> {
    this.#checkOpen();
    await this.#recoverLeases();
    return await this.#readFirst(QUEUE, limit);
  }

  /** Empties the queue, leased messages included. */
  async flushQueue(): Promise<void> {
    this.#checkOpen();
    await this.#empty(QUEUE);
    await this.#empty(LEASES);
  }

  /** Adds a message to the schedule, to be run at `eta` (epoch ms) and enqueued with `priority`. */
  async addToSchedule(data: Uint8Array, eta: number, priority?: number): Promise<void> {
    this.#checkOpen();
    await this.#write(SCHEDULE, scheduleName(checkNumber("eta", eta), priority), data);
  }

  /**
   * Moves up to `limit` due messages to the queue, soonest first: one rename
   * each, so a message is always either scheduled or queued. A message
   * another client moved first is skipped.
   */
  async moveDue(now: number, limit: number): Promise<Uint8Array[]> {
    this.#checkOpen();
    checkNumber("now", now);
    checkInteger("limit", limit, 1);
    await this.#deliverMarkedNowAndThen();
    const moved: Uint8Array[] = [];
    for (const name of await list(this.#path(SCHEDULE))) {
      if (moved.length >= limit || timeOf(name) > now) break;
      // Read first: once in the queue, a worker may take the file at once.
      const data = await readOrNull(this.#path(SCHEDULE, name));
      if (data === null) continue;
      const queued = this.#path(QUEUE, dueName(name));
      if (await attempt(() => rename(this.#path(SCHEDULE, name), queued))) moved.push(data);
    }
    return moved;
  }

  /** Takes every scheduled message with `eta <= now` (epoch ms), in eta order. */
  async readSchedule(now: number): Promise<Uint8Array[]> {
    this.#checkOpen();
    checkNumber("now", now);
    const due: Uint8Array[] = [];
    for (const name of await list(this.#path(SCHEDULE))) {
      if (timeOf(name) > now) break;
      const data = await this.#claim(this.#path(SCHEDULE, name));
      if (data) due.push(data);
    }
    return due;
  }

  /** How many messages are scheduled. */
  async scheduleSize(): Promise<number> {
    this.#checkOpen();
    return (await list(this.#path(SCHEDULE))).length;
  }

  /** The scheduled messages, soonest first, at most `limit` of them. */
  async scheduledItems(limit?: number): Promise<Uint8Array[]> {
    this.#checkOpen();
    return await this.#readFirst(SCHEDULE, limit);
  }

  /** Empties the schedule. */
  async flushSchedule(): Promise<void> {
    this.#checkOpen();
    await this.#empty(SCHEDULE);
  }

  /** The folder of a key: `results/<md5[0]>/.../<md5>`. */
  #keyFolder(key: string): string {
    return this.#path(RESULTS, ...keyPath(key, this.#levels));
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
  async putData(key: string, value: Uint8Array, _options?: PutDataOptions): Promise<void> {
    this.#checkOpen();
    const folder = this.#keyFolder(key);
    const name = stamp();
    const temp = await this.#writeTemp(pack(0, key, value));
    // The folder may vanish (a pop removes it once empty) between mkdir and rename.
    for (let i = 0; !(await attempt(() => rename(temp, join(folder, name)))); i++) {
      if (i === ATTEMPTS) throw new HueyError(`FileStorage '${this.name}' could not write ${key}`);
      await mkdir(folder, { recursive: true });
    }
    // Older values go; a newer one written meanwhile by another client stays.
    for (const old of await list(folder)) {
      if (old < name) await attempt(() => unlink(join(folder, old)));
    }
  }

  /** Reads a value without removing it; `null` when there is none or it has expired. */
  async peekData(key: string): Promise<Uint8Array | null> {
    this.#checkOpen();
    const current = await this.#current(this.#keyFolder(key));
    return current && !current.entry.expired ? current.entry.value : null;
  }

  /** Reads and removes a value; `null` when there is none or it has expired. */
  async popData(key: string): Promise<Uint8Array | null> {
    this.#checkOpen();
    const folder = this.#keyFolder(key);
    for (let i = 0; i < ATTEMPTS; i++) {
      const names = await list(folder);
      if (names.length === 0) return null;
      const bytes = await this.#claim(join(folder, names[names.length - 1]));
      if (bytes === null) continue;
      for (const old of names.slice(0, -1)) await attempt(() => unlink(join(folder, old)));
      // Only an empty folder goes: a value put meanwhile keeps it.
      await rmdir(folder).catch(() => {});
      const entry = decodeEntry(bytes);
      return entry.expired ? null : entry.value;
    }
    return null;
  }

  /** Removes a value; `true` when there was one. */
  async deleteData(key: string): Promise<boolean> {
    return (await this.popData(key)) !== null;
  }

  /** Whether a value (not expired) is stored under the key. */
  async hasDataForKey(key: string): Promise<boolean> {
    return (await this.peekData(key)) !== null;
  }

  /**
   * Removes the key only while its value is exactly `value`; `true` when it
   * did. The value's file itself is renamed away, so a newer value (a lock
   * taken by another holder after this one expired) is never removed.
   */
  async deleteIfEquals(key: string, value: Uint8Array): Promise<boolean> {
    this.#checkOpen();
    const folder = this.#keyFolder(key);
    const current = await this.#current(folder);
    if (
      current === null || current.entry.expired || Buffer.compare(current.entry.value, value) !== 0
    ) return false;
    const held = current.names[current.names.length - 1];
    if ((await this.#claim(join(folder, held))) === null) return false;
    for (const old of current.names.slice(0, -1)) await attempt(() => unlink(join(folder, old)));
    await rmdir(folder).catch(() => {});
    return true;
  }

  /**
   * Deletes the keys and the markers whose ttl has passed, at most once a
   * minute per client (expired ones read as absent meanwhile).
   */
  async #sweepNowAndThen(): Promise<void> {
    const now = Date.now();
    if (now - this.#lastSweep < SWEEP_INTERVAL) return;
    this.#lastSweep = now;
    for (const folder of await this.#keyFolders()) {
      const current = await this.#current(folder);
      if (current === null || !current.entry.expired) continue;
      // Only the files listed: a value put meanwhile is newer and stays.
      for (const name of current.names) await attempt(() => unlink(join(folder, name)));
      await rmdir(folder).catch(() => {});
    }
    for (const name of await list(this.#path(MARKERS))) {
      if (await this.#markerExpires(this.#path(MARKERS, name)) > now) continue;
      await this.#dropMarker(this.#path(MARKERS, name));
    }
  }

  /** When the marker in a folder expires (epoch ms); 0 when the folder holds none. */
  async #markerExpires(folder: string): Promise<number> {
    const bytes = await readOrNull(join(folder, MARKER_FILE));
    return bytes === null ? 0 : Number(new TextDecoder().decode(bytes));
  }

  /** Takes a marker's folder for this client alone, delivers what a crash left in it, removes it. */
  async #dropMarker(folder: string): Promise<void> {
    const taken = this.#path(TMP, stamp());
    if (!(await attempt(() => rename(folder, taken)))) return;
    await this.#deliverFrom(taken);
    await rm(taken, { recursive: true, force: true });
  }

  /** Renames the messages in a marker's folder into the queue (their names are queue names). */
  async #deliverFrom(folder: string): Promise<void> {
    for (const name of await list(folder)) {
      if (name === MARKER_FILE) continue;
      await attempt(() => rename(join(folder, name), this.#path(QUEUE, name)));
    }
  }

  /** Delivers the messages a crash left in marker folders, at most once a minute per client. */
  async #deliverMarkedNowAndThen(): Promise<void> {
    const now = Date.now();
    if (now - this.#lastDelivery < SWEEP_INTERVAL) return;
    this.#lastDelivery = now;
    for (const name of await list(this.#path(MARKERS))) {
      await this.#deliverFrom(this.#path(MARKERS, name));
    }
  }

  /**
   * Enqueues `items` and sets `marker` for `ttl` seconds, unless it is set.
   * The messages and the marker are written into a fresh folder under
   * `tmp/`, which is renamed onto the marker's folder: only one racing
   * client wins; the winner then renames the messages into the queue.
   */
  async enqueueOnce(
    marker: string,
    items: ReadonlyArray<{ data: Uint8Array; priority?: number }>,
    options: EnqueueOnceOptions,
  ): Promise<boolean> {
    this.#checkOpen();
    const ttl = checkNumber("ttl", options?.ttl, "> 0");
    const names = items.map(({ priority }) => queueName(priority));
    await this.#sweepNowAndThen();
    await this.#deliverMarkedNowAndThen();
    const folder = this.#path(MARKERS, createHash("md5").update(marker).digest("hex"));
    const staging = this.#path(TMP, stamp());
    await mkdir(staging);
    try {
      for (const [index, { data }] of items.entries()) {
        await writeFile(join(staging, names[index]), data);
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
        if (await this.#markerExpires(folder) > Date.now()) return false;
        await this.#dropMarker(folder);
      }
      return false;
    } finally {
      await rm(staging, { recursive: true, force: true });
    }
  }

  /**
   * Stores the value only if the key is empty or expired; `true` when it did.
   *
   * The value is written into a fresh folder under `tmp/`, which is renamed
   * onto the key's folder: a rename onto a folder that is not empty fails, so
   * exactly one racing client wins. An expired value is removed by renaming
   * that very file away, which cannot remove a newer value.
   */
  async putIfEmpty(
    key: string,
    value: Uint8Array,
    options: PutIfEmptyOptions = {},
  ): Promise<boolean> {
    this.#checkOpen();
    const { ttl } = options;
    if (ttl !== undefined) {
      checkNumber("ttl", ttl, "> 0");
      await this.#sweepNowAndThen();
    }
    const folder = this.#keyFolder(key);
    const staging = this.#path(TMP, stamp());
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

  /** Every key folder, listed level by level. */
  async #keyFolders(): Promise<string[]> {
    let folders = [this.#path(RESULTS)];
    for (let level = 0; level <= this.#levels; level++) {
      const children = await Promise.all(
        folders.map(async (folder) => (await list(folder)).map((name) => join(folder, name))),
      );
      folders = children.flat();
    }
    return folders;
  }

  /** How many keys are stored (expired ones excluded). */
  async resultStoreSize(): Promise<number> {
    return (await this.resultItems()).size;
  }

  /** Every stored key and its value (expired ones excluded). */
  async resultItems(): Promise<Map<string, Uint8Array>> {
    this.#checkOpen();
    const items = new Map<string, Uint8Array>();
    for (const folder of await this.#keyFolders()) {
      const current = await this.#current(folder);
      if (current && !current.entry.expired) items.set(current.entry.key, current.entry.value);
    }
    return items;
  }

  /** Removes every key; the `results/` folder stays. */
  async flushResults(): Promise<void> {
    this.#checkOpen();
    await this.#empty(RESULTS);
  }

  /** Moves a message aside, then acks `receipt` (files have no transactions: in that order); resolves to the dead letter's id. */
  async addDeadLetter(
    data: Uint8Array,
    reason: string,
    receipt: string | null = null,
  ): Promise<string> {
    this.#checkOpen();
    const id = stamp();
    await this.#write(DEAD, id, pack(0, reason, data));
    if (receipt !== null) await this.ack(receipt);
    return id;
  }

  /** The dead letters, oldest first, at most `limit` of them. */
  async deadLetters(limit?: number): Promise<DeadLetter[]> {
    this.#checkOpen();
    const letters: DeadLetter[] = [];
    const wanted = checkLimit(limit);
    for (const id of await list(this.#path(DEAD))) {
      if (letters.length >= wanted) break;
      const bytes = await readOrNull(this.#path(DEAD, id));
      if (bytes === null) continue;
      const { text: reason, body: data } = unpack(bytes);
      letters.push({ id, reason, data, at: new Date(timeOf(id)) });
    }
    return letters;
  }

  /** Removes one dead letter and resolves to its message, or `null` for an unknown id. */
  async takeDeadLetter(id: string): Promise<Uint8Array | null> {
    this.#checkOpen();
    if (!isStamp(id)) return null;
    const bytes = await this.#claim(this.#path(DEAD, id));
    return bytes && unpack(bytes).body;
  }

  /** Removes every dead letter; resolves to how many this call removed. */
  async flushDeadLetters(): Promise<number> {
    this.#checkOpen();
    return await this.#empty(DEAD);
  }

  /** Empties the queue, schedule, keys, markers and dead letters, and `tmp/` files a crash left. */
  async flushAll(): Promise<void> {
    await this.flushQueue();
    await this.flushSchedule();
    await this.flushResults();
    await this.flushDeadLetters();
    await this.#empty(MARKERS);
    const old = Date.now() - TMP_MAX_AGE;
    for (const name of await list(this.#path(TMP))) {
      if (timeOf(name) < old) await rm(this.#path(TMP, name), { recursive: true, force: true });
    }
  }

  /** Refuses further calls; the files stay. Idempotent. */
  close(): Promise<void> {
    this.#closed = true;
    return Promise.resolve();
  }

  /** Closes the storage, for `await using`. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}
