/**
 * `TaskLock`: a named lock in the Huey's storage, so that only one task (in
 * any process) runs a block at a time. Locks are owned: each acquisition
 * stores a token of its own, and a release deletes the lock only while that
 * token still holds it.
 *
 * @module
 */
import { checkNumber } from "./_options.ts";
import { TaskLockedError } from "./errors.ts";
import type { SerializerLike } from "./serializer.ts";
import type { Storage } from "./storage/base.ts";

/** Options of `huey.lockTask()`. */
export interface LockOptions {
  /**
   * Seconds after which the lock expires by itself, so that a holder that
   * crashed never leaves it stuck. Without it the lock is held until released.
   */
  ttl?: number;
}

/** What {@linkcode Locks} is built from. */
export interface LocksOptions {
  /** The queue's name: lock keys are `<name>.lock.<lock>`. */
  name: string;
  /** Gives the storage in use. */
  storage: () => Storage;
  /** Turns lock tokens into bytes. */
  serializer: SerializerLike;
}

/**
 * The locks of one Huey: builds them and remembers their keys, so that
 * `flush()` can release them all.
 *
 * @internal Built by `Huey`.
 */
export class Locks {
  /** Turns lock tokens into bytes. */
  readonly serializer: SerializerLike;
  #prefix: string;
  #storage: () => Storage;
  #keys = new Set<string>();

  /** @param options See {@linkcode LocksOptions}. */
  constructor(options: LocksOptions) {
    this.#prefix = `${options.name}.lock.`;
    this.#storage = options.storage;
    this.serializer = options.serializer;
  }

  /** The storage in use. */
  get storage(): Storage {
    return this.#storage();
  }

  /**
   * A named lock (see {@linkcode TaskLock}); its key is remembered.
   *
   * @throws {ConfigurationError} `ttl` is not a number > 0.
   */
  lock(name: string, options?: LockOptions): TaskLock {
    const lock = new TaskLock(this, name, options);
    this.#keys.add(lock.key);
    return lock;
  }

  /** The storage key of a lock. */
  keyOf(name: string): string {
    return this.#prefix + name;
  }

  /**
   * Releases every known lock and the named ones, whoever holds them;
   * resolves to the names that were held.
   */
  async flush(names: string[]): Promise<Set<string>> {
    const keys = new Set([...this.#keys, ...names.map((name) => this.keyOf(name.trim()))]);
    const flushed = new Set<string>();
    for (const key of keys) {
      if (await this.#storage().deleteData(key)) flushed.add(key.slice(this.#prefix.length));
    }
    return flushed;
  }
}

/**
 * A lock that only one holder at a time can take, across every process that
 * shares the storage.
 *
 * Each `acquire()` stores a unique token; `release()` deletes the lock only
 * while that token holds it (an atomic compare-and-delete), so a holder
 * that outlived its `ttl` cannot release the lock another holder took
 * since. `clear()` (and `huey.flushLocks()`) removes the lock whoever holds
 * it. `run()` and `wrap()` keep the token of each call apart, so one
 * `TaskLock` may guard many concurrent calls; `acquire()`/`release()` on one
 * object hold one token at a time.
 *
 * @example
 * ```ts
 * import { MemoryHuey } from "./mod.ts";
 * const huey = new MemoryHuey();
 * const lock = huey.lockTask("reports", { ttl: 60 });
 * const build = lock.wrap(async () => "built");
 * console.assert((await build()) === "built");
 * {
 *   await using _held = await lock.acquire();
 *   console.assert(await lock.isLocked());
 * }
 * console.assert(!(await lock.isLocked()));
 * ```
 */
export class TaskLock {
  /** The lock's name. */
  readonly name: string;
  /** The storage key that holds the lock. */
  readonly key: string;
  #locks: Locks;
  #ttl: number | undefined;
  /** The token of the last `acquire()` not yet released, stored as the lock's value. */
  #held: Uint8Array | null = null;

  /**
   * @param locks The locks of the Huey whose storage holds the lock (`huey.lockTask()` passes them).
   * @param name The lock's name.
   * @param options `ttl`.
   * @throws {ConfigurationError} `ttl` is not a number > 0.
   */
  constructor(locks: Locks, name: string, options: LockOptions = {}) {
    const { ttl } = options;
    if (ttl !== undefined) checkNumber("ttl", ttl, "> 0");
    this.#locks = locks;
    this.name = name;
    this.key = locks.keyOf(name);
    this.#ttl = ttl;
  }

  /**
   * Takes the lock with a new token.
   *
   * @returns This lock (so `await using _ = await lock.acquire()` releases it).
   * @throws {TaskLockedError} Another holder has it.
   */
  async acquire(): Promise<this> {
    this.#held = await this.#take();
    return this;
  }

  /** Stores a new token in the lock if it is free; resolves to the token's bytes. */
  async #take(): Promise<Uint8Array> {
    const token = this.#locks.serializer.serialize(crypto.randomUUID());
    if (!(await this.#locks.storage.putIfEmpty(this.key, token, { ttl: this.#ttl }))) {
      throw new TaskLockedError(`unable to acquire lock ${this.name}`);
    }
    return token;
  }

  /**
   * Releases the lock taken by the last `acquire()`, if that acquisition
   * still holds it (its ttl has not passed and nobody cleared it).
   *
   * @returns `true` when it released the lock; `false` when this object held
   *   nothing, or the lock had expired or passed to another holder.
   */
  release(): Promise<boolean> {
    const token = this.#held;
    this.#held = null;
    return token === null ? Promise.resolve(false) : this.#give(token);
  }

  #give(token: Uint8Array): Promise<boolean> {
    return this.#locks.storage.deleteIfEquals(this.key, token);
  }

  /** Removes the lock whoever holds it (a stuck lock); `true` when it was held. */
  clear(): Promise<boolean> {
    this.#held = null;
    return this.#locks.storage.deleteData(this.key);
  }

  /** Whether someone holds the lock. */
  isLocked(): Promise<boolean> {
    return this.#locks.storage.hasDataForKey(this.key);
  }

  /**
   * Runs `fn` while holding the lock, and releases it after.
   *
   * @throws {TaskLockedError} Another holder has it (then `fn` does not run).
   */
  async run<T>(fn: () => T | Promise<T>): Promise<T> {
    const token = await this.#take();
    try {
      return await fn();
    } finally {
      await this.#give(token);
    }
  }

  /** Wraps a function so that every call runs while holding the lock. */
  wrap<A extends unknown[], T>(fn: (...args: A) => T | Promise<T>): (...args: A) => Promise<T> {
    const wrapped = (...args: A): Promise<T> => this.run(() => fn(...args));
    Object.defineProperty(wrapped, "name", { value: fn.name });
    return wrapped;
  }

  /** Releases the lock taken by the last `acquire()` (for `await using`). */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.release();
  }
}
