/**
 * `HueyData`: what a Huey reads and writes in its storage directly, without
 * decoding tasks: the key/value store, the counts, the stored keys, the dead
 * letters, the event log, and flushing it all. `Huey` extends it; it extends `HueyHooks`.
 *
 * @module
 */
import type { SerializerLike } from "./serializer.ts";
import type { DeadLetter, Storage } from "./storage/base.ts";
import { HueyHooks } from "./huey_hooks.ts";
import { readStats, type Stats } from "./stats.ts";
import { type EventsOptions, EventStream } from "./event_stream.ts";

/**
 * The storage's contents as a Huey shows them: the key/value store, the
 * counts and the dead letters. A base of `Huey`, which gives it the storage
 * and the serializer.
 */
export abstract class HueyData extends HueyHooks {
  /** Turns values into bytes and back. */
  abstract readonly serializer: SerializerLike;

  /** The storage in use. */
  abstract get storage(): Storage;

  // ---------------------------------------------------------------- key/value

  /** Stores a value under a key. */
  put(key: string, value: unknown): Promise<void> {
    return this.storage.putData(key, this.serializer.serialize(value));
  }
  /** Reads a value (and removes it unless `peek`); `null` when there is none. */
  async get(key: string, options: { peek?: boolean } = {}): Promise<unknown> {
    const raw = await this.getRaw(key, options);
    return raw === null ? null : this.serializer.deserialize(raw);
  }
  /** Reads a value's bytes (and removes it unless `peek`); `null` when there is none. */
  getRaw(key: string, options: { peek?: boolean } = {}): Promise<Uint8Array | null> {
    return options.peek ? this.storage.peekData(key) : this.storage.popData(key);
  }
  /** Stores a value only if the key is empty; `true` when it did. */
  putIfEmpty(key: string, value: unknown): Promise<boolean> {
    return this.storage.putIfEmpty(key, this.serializer.serialize(value));
  }
  /** Removes a value; `true` when there was one. */
  delete(key: string): Promise<boolean> {
    return this.storage.deleteData(key);
  }

  // ---------------------------------------------------------------- introspection

  /**
   * Every stored key and its raw bytes (results, revocations, locks, your
   * own; never the scheduler's internal markers).
   */
  allResults(): Promise<Map<string, Uint8Array>> {
    return this.storage.resultItems();
  }
  /** How many tasks wait in the queue (leased ones excluded). */
  pendingCount(): Promise<number> {
    return this.storage.queueSize();
  }
  /** How many tasks are scheduled. */
  scheduledCount(): Promise<number> {
    return this.storage.scheduleSize();
  }
  /** How many keys are stored (results, revocations, locks, your own; never internal markers). */
  resultCount(): Promise<number> {
    return this.storage.resultStoreSize();
  }
  /**
   * What the system looks like: the counts, the consumers that put a
   * heartbeat and what they run, and per task name what the kept events
   * say happened, since the oldest kept event and over the last five
   * minutes (see stats.ts for what counts as what).
   *
   * @example
   * ```ts
   * import { MemoryHuey } from "./mod.ts";
   * const huey = new MemoryHuey("stats");
   * const stats = await huey.stats();
   * console.assert(stats.pending === 0 && stats.consumers.length === 0);
   * ```
   */
  stats(): Promise<Stats> {
    return readStats(this.storage);
  }
  /** Empties the queue, the schedule, the key/value store, the dead letters and the failures. */
  flush(): Promise<void> {
    return this.storage.flushAll();
  }

  // ---------------------------------------------------------------- dead letters

  /** The dead letters, oldest first. */
  deadLetters(options: { limit?: number } = {}): Promise<DeadLetter[]> {
    return this.storage.deadLetters(options.limit);
  }
  /** Removes every dead letter; resolves to how many there were. */
  purgeDeadLetters(): Promise<number> {
    return this.storage.flushDeadLetters();
  }

  // ---------------------------------------------------------------- events

  /**
   * The events the consumers of this Huey publish (docs/observability.md):
   * `for await (const event of huey.events({ since, types, signal }))`
   * replays the kept events after `since`, then follows new ones.
   *
   * @throws {ConfigurationError} `since` or `types` has a bad value.
   */
  events(options?: EventsOptions): EventStream {
    return new EventStream(() => this.storage, options);
  }
}
