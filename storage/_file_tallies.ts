/**
 * The counters and member sets of the file storage, kept like keys under
 * `tallies/` (a counter's value is its number as text, a member set's the
 * JSON list of its members; the expiry is the value file's). Each change
 * reads, computes and writes under a lock of its own: a key under `locks/`
 * taken with `putIfEmpty` (exactly one racing client wins, see `_file_kv.ts`)
 * and released with `deleteIfEquals`, so processes sharing the folder count
 * atomically. A lock expires after {@linkcode LOCK_TTL} seconds, so that a
 * client killed while holding one blocks the others only that long. The
 * caller's arguments are checked here, with the words every backend uses
 * (`_tally.ts`).
 *
 * @module
 * @internal
 */
import { setTimeout as delay } from "node:timers/promises";
import type { TallyOptions } from "./base.ts";
import { HueyError } from "../errors.ts";
import { LOCKS, type QueueFolder, TALLIES } from "./_file_folder.ts";
import { FileKeyValues } from "./_file_kv.ts";
import { checkIncrement, checkMember, checkTallyTtl } from "./_tally.ts";

/** Seconds a lock lives: far longer than a change takes (a few file operations). */
const LOCK_TTL = 30;
/** How long a change waits for its lock before it fails, in ms (past a lock left by a crash). */
const LOCK_WAIT = 2 * LOCK_TTL * 1000;
/** The longest pause between two attempts to take a lock, in ms. */
const MAX_PAUSE = 20;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** The counters and member sets of one queue's folder; several clients may share it. */
export class FileTallies {
  #values: FileKeyValues;
  #locks: FileKeyValues;
  #name: string;
  #beforeWindow: () => Promise<void>;
  /** This client's changes per lock, run one after another: it does not race itself. */
  #chains = new Map<string, Promise<unknown>>();

  /**
   * @param folder The queue's folder.
   * @param levels How many levels of sub-folders spread the values (checked).
   * @param name The queue name, for error messages.
   * @param beforeWindow Called before a change that may open a window (one with a ttl):
   *   deletes expired files now and then.
   */
  constructor(
    folder: QueueFolder,
    levels: number,
    name: string,
    beforeWindow: () => Promise<void>,
  ) {
    this.#values = new FileKeyValues(folder, levels, name, TALLIES);
    this.#locks = new FileKeyValues(folder, levels, name, LOCKS);
    this.#name = name;
    this.#beforeWindow = beforeWindow;
  }

  /** Runs `change` holding the lock of `key`, after this client's earlier changes of it. */
  #locked<T>(key: string, change: () => Promise<T>): Promise<T> {
    const run = (this.#chains.get(key) ?? Promise.resolve()).then(async () => {
      const token = encoder.encode(crypto.randomUUID());
      await this.#acquire(key, token);
      try {
        return await change();
      } finally {
        await this.#locks.deleteIfEquals(key, token);
      }
    });
    const settled = run.catch(() => {});
    this.#chains.set(key, settled);
    settled.then(() => {
      if (this.#chains.get(key) === settled) this.#chains.delete(key);
    });
    return run;
  }

  async #acquire(key: string, token: Uint8Array): Promise<void> {
    const deadline = Date.now() + LOCK_WAIT;
    for (let pause = 1; !(await this.#locks.putIfEmpty(key, token, LOCK_TTL)); pause++) {
      if (Date.now() > deadline) {
        throw new HueyError(
          `FileStorage '${this.#name}' could not lock ${key} within ${LOCK_WAIT / 1000} s`,
        );
      }
      // Random pauses, so that clients that met at a lock do not meet again.
      await delay(1 + Math.random() * Math.min(pause, MAX_PAUSE));
    }
  }

  /** The live value of `key` and its expiry, or, for a missing one, `initial` with a new window. */
  async #current(key: string, initial: string, ttl: number | undefined) {
    const entry = await this.#values.entry(key);
    if (entry) return { text: decoder.decode(entry.value), expires: entry.expires };
    return { text: initial, expires: ttl === undefined ? 0 : Date.now() + ttl * 1000 };
  }

  /**
   * Adds `by` to a counter (created with `ttl`), under a lock shared by
   * every client of the folder.
   *
   * @returns Its new value.
   * @throws {ConfigurationError} `by` is not a safe integer, or `ttl` not a number `> 0`.
   */
  async incr(
    key: string,
    by: number | undefined,
    options: TallyOptions | undefined,
  ): Promise<number> {
    const step = checkIncrement(by);
    const ttl = checkTallyTtl(options);
    if (ttl !== undefined) await this.#beforeWindow();
    const name = `counter:${key}`;
    return await this.#locked(name, async () => {
      const { text, expires } = await this.#current(name, "0", ttl);
      const value = Number(text) + step;
      await this.#values.replace(name, encoder.encode(String(value)), expires);
      return value;
    });
  }

  /**
   * Adds a member to a set (created with `ttl`), under a lock shared by
   * every client of the folder.
   *
   * @returns The set's size.
   * @throws {ConfigurationError} `member` is not a non-empty string, or `ttl` not a number `> 0`.
   */
  async addMember(
    key: string,
    member: string,
    options: TallyOptions | undefined,
  ): Promise<number> {
    const checked = checkMember(member);
    const ttl = checkTallyTtl(options);
    if (ttl !== undefined) await this.#beforeWindow();
    const name = `members:${key}`;
    return await this.#locked(name, async () => {
      const { text, expires } = await this.#current(name, "[]", ttl);
      const members = JSON.parse(text) as string[];
      if (members.includes(checked)) return members.length;
      members.push(checked);
      await this.#values.replace(name, encoder.encode(JSON.stringify(members)), expires);
      return members.length;
    });
  }

  /** Removes a counter; `true` when a live one was there. */
  deleteCounter(key: string): Promise<boolean> {
    return this.#delete(`counter:${key}`);
  }

  /** Removes a member set; `true` when a live one was there. */
  deleteMembers(key: string): Promise<boolean> {
    return this.#delete(`members:${key}`);
  }

  #delete(name: string): Promise<boolean> {
    return this.#locked(name, async () => (await this.#values.pop(name)) !== null);
  }

  /** Deletes the counters, member sets and locks whose ttl has passed. */
  async sweepExpired(): Promise<void> {
    await this.#values.sweepExpired();
    await this.#locks.sweepExpired();
  }

  /** Removes every counter and member set. */
  async flush(): Promise<void> {
    await this.#values.flush();
  }
}
