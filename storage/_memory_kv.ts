/**
 * The key/value store of the memory storage: values with an optional
 * expiry, read against the storage's clock; an expired key reads as absent
 * and is dropped when read.
 *
 * @module
 * @internal
 */
import { Buffer } from "node:buffer";

interface Entry {
  readonly value: Uint8Array;
  /** Epoch ms; `undefined` never expires. */
  readonly expires: number | undefined;
}

/** Keys and values in a Map, each with its expiry. */
export class MemoryKeyValues {
  #clock: () => number;
  #data = new Map<string, Entry>();

  /** @param clock The time in epoch ms (checked). */
  constructor(clock: () => number) {
    this.#clock = clock;
  }

  /** The value under `key`, or `undefined` when there is none or it has expired (then dropped). */
  get(key: string): Uint8Array | undefined {
    const entry = this.#data.get(key);
    if (entry?.expires !== undefined && entry.expires <= this.#clock()) {
      this.#data.delete(key);
      return undefined;
    }
    return entry?.value;
  }

  /** Stores a copy of the value, replacing any other (and its ttl). */
  put(key: string, value: Uint8Array): void {
    this.#data.set(key, { value: value.slice(), expires: undefined });
  }

  /** Removes a live value; `true` when there was one. */
  delete(key: string): boolean {
    return this.get(key) !== undefined && this.#data.delete(key);
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
    const expires = ttl === undefined ? undefined : this.#clock() + ttl * 1000;
    this.#data.set(key, { value: value.slice(), expires });
    return true;
  }

  /** Removes the key only while it holds exactly `value`; `true` when it did. */
  deleteIfEquals(key: string, value: Uint8Array): boolean {
    const current = this.get(key);
    return current !== undefined && Buffer.compare(current, value) === 0 && this.#data.delete(key);
  }

  /** Every live key and its value (expired ones are dropped). */
  items(): Map<string, Uint8Array> {
    for (const key of this.#data.keys()) this.get(key);
    return new Map([...this.#data].map(([key, entry]) => [key, entry.value]));
  }

  /** Removes every key. */
  clear(): void {
    this.#data.clear();
  }
}
