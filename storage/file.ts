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
 * - `leases/<deadline>-<receipt>-<queue file name>`: a leased message (`_file_leases.ts`);
 * - `schedule/<eta>-<stamp>-<priority>`: a scheduled message (`_file_schedule.ts`);
 * - `results/<md5[0]>/<md5[1]>/<md5(key)>/<stamp>`: a key's value (`_file_kv.ts`);
 * - `markers/<md5(marker)>/`: a marker of `enqueueOnce` (`_file_markers.ts`);
 * - `tallies/...` and `locks/...`: counters and member sets, and the locks
 *   that serialize their changes, stored like keys (`_file_tallies.ts`);
 * - `dead/<stamp>`: a dead letter (`_file_dead.ts`);
 * - `failures/<stamp>.<md5 of the task id>`: a failure record (`_file_failures.ts`);
 * - `events/<stamp>`: an event of the log, `heartbeats/<md5 of the id>`: a
 *   consumer's heartbeat (`_file_events.ts`);
 * - `tmp/`: files being written, renamed into place once complete.
 *
 * @module
 */
import { mkdirSync } from "node:fs";
import { join, resolve } from "node:path";
import type {
  Delivery,
  DequeueOptions,
  EnqueueOnceOptions,
  EventsToAdd,
  FinishOptions,
  OnceItem,
  PutDataOptions,
  PutIfEmptyOptions,
  Storage,
} from "./base.ts";
import { checkInteger, checkNumber } from "../_options.ts";
import { closedError } from "./_check.ts";
import { DelegatingStorage, type StorageParts } from "./_delegating.ts";
import { FileDeadLetters } from "./_file_dead.ts";
import { EVENTS, FileEvents } from "./_file_events.ts";
import { FAILURES, FileFailures } from "./_file_failures.ts";
import { FOLDERS, nowAndThen, QueueFolder } from "./_file_folder.ts";
import { FileHeartbeats, HEARTBEATS } from "./_file_heartbeats.ts";
import { FileKeyValues } from "./_file_kv.ts";
import { FileMarkers } from "./_file_markers.ts";
import { queueName, scheduleName } from "./_file_names.ts";
import { checkFileOptions, type FileStorageOptions } from "./_file_options.ts";
import { FileQueue } from "./_file_queue.ts";
import { FileSchedule } from "./_file_schedule.ts";
import { FileTallies } from "./_file_tallies.ts";
import { checkOnceItems } from "./_tally.ts";

export type { FileStorageOptions } from "./_file_options.ts";

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
export class FileStorage extends DelegatingStorage implements Storage {
  /** The queue name, also the name of its folder under `path`. */
  readonly name: string;
  /** Always `false`: an empty queue gives `null` at once. */
  readonly blocking: boolean = false;
  /** Always `true`. */
  readonly priority: boolean = true;
  /** The queue's folder, absolute (a relative `path` resolves against the working directory). */
  readonly location: string;

  #folder: QueueFolder;
  #queue: FileQueue;
  #values: FileKeyValues;
  #schedule: FileSchedule;
  #markers: FileMarkers;
  #tallies: FileTallies;
  #events: FileEvents;
  #heartbeats: FileHeartbeats;
  #parts: StorageParts;
  #closed = false;

  /**
   * Creates the queue's folders if they do not exist.
   *
   * @param name The queue name: a folder name (not empty, no `/` or `\`, not `.` or `..`).
   * @param options See {@linkcode FileStorageOptions}.
   * @throws {ConfigurationError} `name` is not a folder name, `path` is missing or not a
   *   string, or `levels` is not an integer from 0 to 4.
   */
  constructor(name: string, options: FileStorageOptions) {
    super();
    const { root, levels } = checkFileOptions(name, options);
    this.name = name;
    this.location = resolve(root);
    for (const folder of [...FOLDERS, FAILURES, EVENTS, HEARTBEATS]) {
      mkdirSync(join(root, folder), { recursive: true });
    }
    this.#folder = new QueueFolder(root);
    this.#queue = new FileQueue(this.#folder);
    this.#values = new FileKeyValues(this.#folder, levels, name);
    this.#schedule = new FileSchedule(this.#folder);
    this.#markers = new FileMarkers(this.#folder);
    this.#events = new FileEvents(this.#folder);
    this.#heartbeats = new FileHeartbeats(this.#folder);
    this.#tallies = new FileTallies(this.#folder, levels, name, () => this.#sweepNowAndThen());
    this.#parts = {
      counters: this.#tallies,
      dead: new FileDeadLetters(this.#folder, (receipt) => this.#queue.ack(receipt)),
      failures: new FileFailures(this.#folder),
      events: this.#events,
      heartbeats: this.#heartbeats,
      checkOpen: () => this.#checkOpen(),
    };
  }

  /**
   * The parts that serve the counters and member sets (under a lock shared
   * by every client of the folder), dead letters, failure records, event
   * reads and heartbeats.
   * @internal
   */
  protected override parts(): StorageParts {
    return this.#parts;
  }

  #checkOpen(): void {
    if (this.#closed) throw closedError("FileStorage", this.name);
  }

  /** Adds a message to the queue; higher `priority` first, FIFO within one. */
  async enqueue(data: Uint8Array, priority?: number): Promise<void> {
    await this.enqueueMany([{ data, priority }]);
  }

  /** Adds several messages to the queue, in order. */
  async enqueueMany(items: ReadonlyArray<{ data: Uint8Array; priority?: number }>): Promise<void> {
    this.#checkOpen();
    await this.#queue.add(items);
  }

  /** Takes the next message by renaming its file (into `leases/` with a lease); `null` if none. */
  async dequeue(options: DequeueOptions = {}): Promise<Delivery | null> {
    this.#checkOpen();
    const { lease = 0, signal } = options;
    checkNumber("lease", lease, ">= 0");
    return signal?.aborted ? null : await this.#queue.take(lease);
  }

  /** Removes a leased message for good; unknown or outdated receipts are ignored. */
  async ack(receipt: string): Promise<void> {
    this.#checkOpen();
    await this.#queue.ack(receipt);
  }

  /**
   * Removes `deleteKeys`, stores `result`, writes `events`, then acks
   * `receipt` (files have no transactions: in that order; the events are
   * named, so ordered, when the call is made).
   */
  async finish(receipt: string | null, options: FinishOptions): Promise<void> {
    const { deleteKeys = [], result, events } = options;
    const named = events && this.#events.name(events);
    for (const key of deleteKeys) await this.deleteData(key);
    if (result) await this.putData(result.key, result.value, { isResult: true });
    if (named) await this.#events.write(named);
    if (receipt !== null) await this.ack(receipt);
  }

  /** Extends these leases to `lease` seconds from now; unknown receipts are ignored. */
  async renew(receipts: readonly string[], lease: number): Promise<void> {
    this.#checkOpen();
    await this.#queue.renew(receipts, checkNumber("lease", lease, ">= 0"));
  }

  /** Puts a leased message back on the queue at once, in its old place. */
  async release(receipt: string): Promise<void> {
    this.#checkOpen();
    await this.#queue.release(receipt);
  }

  /** How many messages are waiting (leased ones excluded). */
  async queueSize(): Promise<number> {
    this.#checkOpen();
    return await this.#queue.size();
  }

  /** The waiting messages in dequeue order, at most `limit` of them. */
  async enqueuedItems(limit?: number): Promise<Uint8Array[]> {
    this.#checkOpen();
    return await this.#queue.items(limit);
  }

  /** Empties the queue, leased messages included. */
  async flushQueue(): Promise<void> {
    this.#checkOpen();
    await this.#queue.flush();
  }

  /** Adds a message to the schedule, to be run at `eta` (epoch ms) and enqueued with `priority`. */
  async addToSchedule(data: Uint8Array, eta: number, priority?: number): Promise<void> {
    this.#checkOpen();
    await this.#schedule.add(data, checkNumber("eta", eta), priority);
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
    await this.#markers.deliverNowAndThen();
    return await this.#schedule.moveDue(now, limit);
  }

  /** Takes every scheduled message with `eta <= now` (epoch ms), in eta order. */
  async readSchedule(now: number): Promise<Uint8Array[]> {
    this.#checkOpen();
    return await this.#schedule.takeDue(checkNumber("now", now));
  }

  /** How many messages are scheduled. */
  async scheduleSize(): Promise<number> {
    this.#checkOpen();
    return await this.#schedule.size();
  }

  /** The scheduled messages, soonest first, at most `limit` of them. */
  async scheduledItems(limit?: number): Promise<Uint8Array[]> {
    this.#checkOpen();
    return await this.#schedule.items(limit);
  }

  /** Empties the schedule. */
  async flushSchedule(): Promise<void> {
    this.#checkOpen();
    await this.#schedule.flush();
  }

  /** Stores a value under a key, replacing any other (and its ttl). */
  async putData(key: string, value: Uint8Array, _options?: PutDataOptions): Promise<void> {
    this.#checkOpen();
    await this.#values.put(key, value);
  }

  /** Reads a value without removing it; `null` when there is none or it has expired. */
  async peekData(key: string): Promise<Uint8Array | null> {
    this.#checkOpen();
    return await this.#values.peek(key);
  }

  /** Reads and removes a value; `null` when there is none or it has expired. */
  async popData(key: string): Promise<Uint8Array | null> {
    this.#checkOpen();
    return await this.#values.pop(key);
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
   * did. A newer value (a lock taken by another holder after this one
   * expired) is never removed.
   */
  async deleteIfEquals(key: string, value: Uint8Array): Promise<boolean> {
    this.#checkOpen();
    return await this.#values.deleteIfEquals(key, value);
  }

  /**
   * Deletes the keys, markers, counters and member sets whose ttl has
   * passed, at most once a minute per client (expired ones read as absent
   * meanwhile).
   */
  #sweepNowAndThen = nowAndThen(async (now) => {
    await this.#values.sweepExpired();
    await this.#markers.sweepExpired(now);
    await this.#tallies.sweepExpired();
  });

  /**
   * Enqueues `items` (schedules those with an `eta`) and sets `marker` for
   * `ttl` seconds, unless it is set: only one racing client wins (see
   * `_file_markers.ts`).
   */
  async enqueueOnce(
    marker: string,
    items: readonly OnceItem[],
    options: EnqueueOnceOptions,
  ): Promise<boolean> {
    this.#checkOpen();
    const ttl = checkNumber("ttl", options?.ttl, "> 0");
    const messages = checkOnceItems(items).map(({ data, priority, eta }) => ({
      data,
      name: eta === undefined ? queueName(priority) : scheduleName(eta, priority),
      scheduled: eta !== undefined,
    }));
    await this.#sweepNowAndThen();
    return await this.#markers.enqueueOnce(marker, messages, ttl);
  }

  /** Removes a marker of `enqueueOnce` (one rename); `true` when it was set. */
  async deleteMarker(marker: string): Promise<boolean> {
    this.#checkOpen();
    return await this.#markers.delete(marker);
  }

  /**
   * Stores the value only if the key is empty or expired; `true` when it did.
   * Exactly one racing client wins (see `_file_kv.ts`).
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
    return await this.#values.putIfEmpty(key, value, ttl);
  }

  /** How many keys are stored (expired ones excluded). */
  async resultStoreSize(): Promise<number> {
    return (await this.resultItems()).size;
  }

  /** Every stored key and its value (expired ones excluded). */
  async resultItems(): Promise<Map<string, Uint8Array>> {
    this.#checkOpen();
    return await this.#values.items();
  }

  /** Removes every key; the `results/` folder stays. */
  async flushResults(): Promise<void> {
    this.#checkOpen();
    await this.#values.flush();
  }

  /** Appends events to the log (named now, so in call order), then drops the oldest beyond `maxLength`. */
  async addEvents(events: EventsToAdd): Promise<void> {
    this.#checkOpen();
    await this.#events.write(this.#events.name(events));
  }

  /**
   * Empties the queue, schedule, keys, markers, counters, member sets, dead
   * letters, failure records, events and heartbeats, and `tmp/` files a
   * crash left.
   */
  async flushAll(): Promise<void> {
    await this.flushQueue();
    await this.flushSchedule();
    await this.flushResults();
    await this.flushDeadLetters();
    await this.purgeFailures();
    await this.#markers.flush();
    await this.#tallies.flush();
    await this.#events.flush();
    await this.#heartbeats.flush();
    await this.#folder.removeStaleTemps();
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
