/**
 * The consumer heartbeats of the memory storage: records by consumer id,
 * each expiring `ttl` seconds after it was put, on the storage's clock.
 *
 * @module
 * @internal
 */
import { checkHeartbeatTtl } from "./_event_check.ts";
import { ExpiringEntries } from "./_memory_entries.ts";

/**
 * One memory storage's heartbeats.
 *
 * @example
 * ```ts
 * import { MemoryHeartbeats } from "./_memory_heartbeats.ts";
 * const heartbeats = new MemoryHeartbeats(Date.now);
 * heartbeats.put("host:1", new Uint8Array([1]), 30);
 * console.assert(heartbeats.list().length === 1 && heartbeats.delete("host:1"));
 * ```
 */
export class MemoryHeartbeats {
  #records: ExpiringEntries<Uint8Array>;

  /** @param clock The time in epoch ms. */
  constructor(clock: () => number) {
    this.#records = new ExpiringEntries(clock);
  }

  /** Stores a copy of the record under `id`, replacing the older one, for `ttl` seconds. */
  put(id: string, record: Uint8Array, ttl: number): void {
    this.#records.set(id, record.slice(), checkHeartbeatTtl(ttl));
  }

  /** The records that have not expired. */
  list(): Uint8Array[] {
    return [...this.#records.live().values()].map((record) => record.slice());
  }

  /** Removes a live record; `true` when there was one. */
  delete(id: string): boolean {
    return this.#records.delete(id);
  }

  /** Removes every record. */
  clear(): void {
    this.#records.clear();
  }
}
