/**
 * The counters, member sets and `enqueueOnce` markers of the memory
 * storage: entries that live from their creation for a fixed time (or until
 * deleted), read against the storage's clock. An expired entry reads as
 * absent and is dropped.
 *
 * @module
 * @internal
 */

interface Entry<T> {
  value: T;
  /** Epoch ms; `undefined` never expires. */
  readonly expires: number | undefined;
}

/**
 * Named entries, each created with an optional lifetime that later writes
 * do not extend (a fixed window).
 *
 * @typeParam T The entries' values.
 *
 * @example
 * ```ts
 * import { ExpiringEntries } from "./_memory_tallies.ts";
 * let now = 0;
 * const counters = new ExpiringEntries<number>(() => now);
 * counters.update("hits", 1, (count) => count + 1, 1);
 * now = 1000;
 * console.assert(counters.get("hits") === undefined);
 * ```
 */
export class ExpiringEntries<T> {
  #clock: () => number;
  #entries = new Map<string, Entry<T>>();
  /** The size at which creating an entry first drops the expired ones. */
  #sweepAt = 64;

  /** @param clock The time in epoch ms. */
  constructor(clock: () => number) {
    this.#clock = clock;
  }

  /** The live value under `key`, or `undefined` (an expired one is dropped). */
  get(key: string): T | undefined {
    const entry = this.#entries.get(key);
    if (entry?.expires !== undefined && entry.expires <= this.#clock()) {
      this.#entries.delete(key);
      return undefined;
    }
    return entry?.value;
  }

  /**
   * Replaces the live value under `key` with `change(value)`, or creates it
   * as `initial` living `ttl` seconds (forever when `undefined`).
   *
   * @returns The value now stored.
   */
  update(key: string, initial: T, change: (value: T) => T, ttl: number | undefined): T {
    const current = this.get(key);
    if (current !== undefined) {
      const value = change(current);
      this.#entries.get(key)!.value = value;
      return value;
    }
    this.#sweep();
    const expires = ttl === undefined ? undefined : this.#clock() + ttl * 1000;
    this.#entries.set(key, { value: initial, expires });
    return initial;
  }

  /** Removes a live entry; `true` when there was one. */
  delete(key: string): boolean {
    return this.get(key) !== undefined && this.#entries.delete(key);
  }

  /** Removes every entry. */
  clear(): void {
    this.#entries.clear();
  }

  /**
   * Drops the expired entries nobody reads again (markers of past minutes)
   * each time the entries have doubled: amortized O(1) per creation.
   */
  #sweep(): void {
    if (this.#entries.size < this.#sweepAt) return;
    for (const key of this.#entries.keys()) this.get(key);
    this.#sweepAt = Math.max(64, this.#entries.size * 2);
  }
}
