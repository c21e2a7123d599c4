/**
 * The key/value store of the memory storage: values with an optional
 * expiry, read against the storage's clock; an expired key reads as absent
 * and is dropped when read.
 *
 * @module
 * @internal
 */
import { Buffer } from "node:buffer";
import { ExpiringEntries } from "./_memory_entries.ts";

/** Keys and values, each with its expiry. */
export class MemoryKeyValues {
  #data: ExpiringEntries<Uint8Array>;

  /** @param clock The time in epoch ms (checked). */
  constructor(clock: () => number) {
    this.#data = new ExpiringEntries(clock);
  }

  /** The value under `key`, or `undefined` when there is none or it has expired (then dropped). */
  get(key: string): Uint8Array | undefined {
    return this.#data.get(key);
  }

  /** Stores a copy of the value, replacing any other (and its ttl). */
  put(key: string, value: Uint8Array): void {
    this.#data.set(key, value.slice(), undefined);
  }

  /** Removes a live value; `true` when there was one. */
  delete(key: string): boolean {
    return this.#data.delete(key);
  }

  /** Reads and removes a value; `null` when there is none. */
  pop(key: string): Uint8Array | null {
    const value = this.get(key);
    this.#data.delete(key);
    return value ?? null;
  }

  /** Stores the value only if the key is empty, expiring after `ttl` seconds (checked) if given. */
  putIfEmpty(key: string, value: Uint8Array, ttl: number | undefined): boolean {
    // No await between the check and the set: atomic on the one JS thread.
    if (this.get(key) !== undefined) return false;
    this.#data.set(key, value.slice(), ttl);
    return true;
  }

  /** Removes the key only while it holds exactly `value`; `true` when it did. */
  deleteIfEquals(key: string, value: Uint8Array): boolean {
    const current = this.get(key);
    return current !== undefined && Buffer.compare(current, value) === 0 && this.#data.delete(key);
  }

  /** Every live key and its value (expired ones are dropped). */
  items(): Map<string, Uint8Array> {
    return this.#data.live();
  }

  /** Removes every key. */
  clear(): void {
    this.#data.clear();
  }
}
