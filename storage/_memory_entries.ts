/**
 * Entries with an expiry, read against the memory storage's clock: its
 * key/value store, counters, member sets and `enqueueOnce` markers. An
 * expired entry reads as absent and is dropped.
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
 * import { ExpiringEntries } from "./_memory_entries.ts";
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

  /** Stores `value` under `key`, replacing any other, living `ttl` seconds (forever when `undefined`). */
  set(key: string, value: T, ttl: number | undefined): void {
    this.#sweep();
    const expires = ttl === undefined ? undefined : this.#clock() + ttl * 1000;
    this.#entries.set(key, { value, expires });
  }

  /**
   * Replaces the live value under `key` with `change(value)`, keeping its
   * expiry, or creates it as `initial` living `ttl` seconds (forever when
   * `undefined`): a fixed window.
   *
   * @returns The value now stored.
   */
  update(key: string, initial: T, change: (value: T) => T, ttl: number | undefined): T {
    const current = this.get(key);
    if (current === undefined) {
      this.set(key, initial, ttl);
      return initial;
    }
    const value = change(current);
    this.#entries.get(key)!.value = value;
    return value;
  }

  /** Every live key and its value (expired ones are dropped). */
  live(): Map<string, T> {
    const live = new Map<string, T>();
    for (const key of [...this.#entries.keys()]) {
      const value = this.get(key);
      if (value !== undefined) live.set(key, value);
    }
    return live;
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
