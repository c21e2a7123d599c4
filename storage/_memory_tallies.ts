/**
 * The counters, member sets and `enqueueOnce` markers of the memory
 * storage, each with the fixed window it was created with (see
 * `_memory_entries.ts`). The caller's arguments are checked here, with the
 * words every backend uses (`_tally.ts`).
 *
 * @module
 * @internal
 */
import type { TallyOptions } from "./base.ts";
import { ExpiringEntries } from "./_memory_entries.ts";
import { checkIncrement, checkMember, checkTallyTtl } from "./_tally.ts";

/** The counters, member sets and markers of one memory storage. */
export class MemoryTallies {
  #markers: ExpiringEntries<true>;
  #counters: ExpiringEntries<number>;
  #members: ExpiringEntries<Set<string>>;

  /** @param clock The time in epoch ms (checked). */
  constructor(clock: () => number) {
    this.#markers = new ExpiringEntries(clock);
    this.#counters = new ExpiringEntries(clock);
    this.#members = new ExpiringEntries(clock);
  }

  /** Whether a marker of `enqueueOnce` is set. */
  hasMarker(marker: string): boolean {
    return this.#markers.get(marker) === true;
  }

  /** Sets a marker of `enqueueOnce` for `ttl` seconds (checked); it must not be set. */
  setMarker(marker: string, ttl: number): void {
    this.#markers.update(marker, true, () => true, ttl);
  }

  /** Removes a marker of `enqueueOnce`; `true` when it was set. */
  deleteMarker(marker: string): boolean {
    return this.#markers.delete(marker);
  }

  /**
   * Adds `by` to a counter (created with `ttl`).
   *
   * @returns Its new value.
   * @throws {ConfigurationError} `by` is not a safe integer, or `ttl` not a number `> 0`.
   */
  incr(key: string, by: number | undefined, options: TallyOptions | undefined): number {
    const step = checkIncrement(by);
    return this.#counters.update(key, step, (count) => count + step, checkTallyTtl(options));
  }

  /** Removes a counter; `true` when there was one. */
  deleteCounter(key: string): boolean {
    return this.#counters.delete(key);
  }

  /**
   * Adds a member to a set (created with `ttl`).
   *
   * @returns The set's size.
   * @throws {ConfigurationError} `member` is not a non-empty string, or `ttl` not a number `> 0`.
   */
  addMember(key: string, member: string, options: TallyOptions | undefined): number {
    const name = checkMember(member);
    const ttl = checkTallyTtl(options);
    return this.#members.update(key, new Set([name]), (set) => set.add(name), ttl).size;
  }

  /** Removes a member set; `true` when there was one. */
  deleteMembers(key: string): boolean {
    return this.#members.delete(key);
  }

  /** Removes every marker, counter and member set. */
  clear(): void {
    this.#markers.clear();
    this.#counters.clear();
    this.#members.clear();
  }
}
