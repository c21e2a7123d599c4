/**
 * The failure records of the memory storage: a map by task id whose
 * insertion order is the records' age (a replaced record moves to the end).
 *
 * @module
 * @internal
 */
import { checkLimit, checkMaxLength } from "./_check.ts";

/** The failure records of one memory storage. */
export class MemoryFailures {
  #records = new Map<string, Uint8Array>();

  /** Records a failure as the newest, replacing one of the same id, then trims to `maxLength`. */
  add(id: string, record: Uint8Array, maxLength: number): void {
    checkMaxLength(maxLength);
    this.#records.delete(id);
    this.#records.set(id, record.slice());
    for (const oldest of this.#records.keys()) {
      if (this.#records.size <= maxLength) break;
      this.#records.delete(oldest);
    }
  }

  /** The records, newest first, at most `limit`. */
  list(limit: number | undefined): Uint8Array[] {
    return [...this.#records.values()].reverse().slice(0, checkLimit(limit));
  }

  /** Removes and returns the record of `id`, or `null`. */
  take(id: string): Uint8Array | null {
    const record = this.#records.get(id) ?? null;
    this.#records.delete(id);
    return record;
  }

  /** Removes every record; returns how many there were. */
  purge(): number {
    const count = this.#records.size;
    this.#records.clear();
    return count;
  }

  /** How many records are kept. */
  count(): number {
    return this.#records.size;
  }
}
