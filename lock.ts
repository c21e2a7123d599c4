/**
 * `TaskLock`: a named lock in the Huey's storage, so that only one task (in
 * any process) runs a block at a time.
 *
 * @module
 */
import { checkNumber } from "./_options.ts";
import { TaskLockedError } from "./errors.ts";
import type { Huey } from "./huey.ts";

/** Options of `huey.lockTask()`. */
export interface LockOptions {
  /**
   * Seconds after which the lock expires by itself, so that a holder that
   * crashed never leaves it stuck. Without it the lock is held until released.
   */
  ttl?: number;
}

/**
 * A lock that only one holder at a time can take, across every process that
 * shares the storage.
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
  #huey: Huey;
  #ttl: number | undefined;

  /**
   * @param huey The Huey whose storage holds the lock.
   * @param name The lock's name.
   * @param options `ttl`.
   */
  constructor(huey: Huey, name: string, options: LockOptions = {}) {
    const { ttl } = options;
    if (ttl !== undefined) checkNumber("ttl", ttl, "> 0");
    this.#huey = huey;
    this.name = name;
    this.key = `${huey.name}.lock.${name}`;
    this.#ttl = ttl;
    huey.trackLock(this.key);
  }

  /**
   * Takes the lock.
   *
   * @returns This lock (so `await using _ = await lock.acquire()` releases it).
   * @throws {TaskLockedError} Another holder has it.
   */
  async acquire(): Promise<this> {
    const value = this.#huey.serializer.serialize("1");
    if (!(await this.#huey.storage.putIfEmpty(this.key, value, { ttl: this.#ttl }))) {
      throw new TaskLockedError(`unable to acquire lock ${this.name}`);
    }
    return this;
  }

  /** Releases the lock; `true` when it was held. */
  release(): Promise<boolean> {
    return this.#huey.storage.deleteData(this.key);
  }

  /** Releases the lock, whoever holds it; `true` when it was held. */
  clear(): Promise<boolean> {
    return this.release();
  }

  /** Whether someone holds the lock. */
  isLocked(): Promise<boolean> {
    return this.#huey.storage.hasDataForKey(this.key);
  }

  /**
   * Runs `fn` while holding the lock, and releases it after.
   *
   * @throws {TaskLockedError} Another holder has it (then `fn` does not run).
   */
  async run<T>(fn: () => T | Promise<T>): Promise<T> {
    await this.acquire();
    try {
      return await fn();
    } finally {
      await this.release();
    }
  }

  /** Wraps a function so that every call runs while holding the lock. */
  wrap<A extends unknown[], T>(fn: (...args: A) => T | Promise<T>): (...args: A) => Promise<T> {
    const wrapped = (...args: A): Promise<T> => this.run(() => fn(...args));
    Object.defineProperty(wrapped, "name", { value: fn.name });
    return wrapped;
  }

  /** Releases the lock (for `await using`). */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.release();
  }
}
