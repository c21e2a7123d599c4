/**
 * Chord completion: what the end of a chord member does, so that the
 * callback is enqueued exactly once with every member's outcome in order.
 *
 * huey counts finished members with a bare counter, so a member delivered
 * twice (at-least-once, after a lease expired) counts twice, and a consumer
 * killed between the count and the callback's enqueue loses the chord. Here
 * each member's end, before its message is acknowledged:
 * 1. stores the member's outcome under `chord:<id>:<index>` (a value, a
 *    `TaskError`, or `null` for a member that was skipped);
 * 2. adds the member's index to the member set `chord:<id>` (a set: a member
 *    that ends twice counts once) and reads the set's size;
 * 3. when the size reaches the chord's (`>=`, so that the redelivered last
 *    member gets there too), reads every outcome in order and enqueues the
 *    callback with them under the marker `chord:<id>` (`enqueueOnce`: one
 *    enqueue among any number of redeliveries), marks the chord done (the
 *    counter `chord:<id>:done`), then deletes the outcomes and the set.
 *
 * A crash at any point leaves the member's message leased: it comes back,
 * runs again and repeats the steps, each of which is idempotent. A member
 * that comes back after its chord was cleaned up (the consumer died between
 * the cleanup and the ack) joins a new, empty set: it finds the chord done
 * and removes what it stored.
 *
 * @module
 * @internal
 */
import type { SerializerLike } from "./serializer.ts";
import type { Storage } from "./storage/base.ts";
import { type ChordMembership, Task } from "./task.ts";

/**
 * Seconds the marker and the done counter of a chord are kept (a week): a
 * member redelivered within that time does not enqueue the callback again,
 * nor leave anything behind. A member redelivered later still does not
 * enqueue it when the chord has two members or more, as the member set it
 * joins starts empty again.
 */
export const CHORD_MARKER_TTL = 7 * 24 * 3600;

/** What a {@linkcode ChordCompletion} is built from. */
export interface ChordCompletionOptions {
  /** Gives the storage in use. */
  storage: () => Storage;
  /** Turns outcomes into bytes and back. */
  serializer: SerializerLike;
  /**
   * Enqueues a task unless `marker` is set, and sets the marker for `ttl`
   * seconds, in one storage step (in immediate mode: runs it, once per
   * marker too); `true` when it did.
   */
  enqueueOnce: (marker: string, task: Task, ttl: number) => Promise<boolean>;
}

/**
 * The chord membership that a task's end settles, if any.
 *
 * @param task The task that ended.
 * @param early `false`: it succeeded, and only the last stage of a member
 *   (no next stage) settles the member. `true`: it failed for good or was
 *   skipped (revoked, expired, cancelled), so its pipeline ends here and the
 *   membership of a later stage is settled for the whole member.
 * @returns The membership, or `null` when the task ends no chord member.
 */
export function endedMembership(task: Task, early: boolean): ChordMembership | null {
  if (!early) return task.next === null ? task.chord : null;
  for (let stage: Task | null = task; stage !== null; stage = stage.next) {
    if (stage.chord !== null) return stage.chord;
  }
  return null;
}

/** The key of a chord member's outcome. */
function outcomeKey(membership: ChordMembership, index: number): string {
  return `chord:${membership.id}:${index}`;
}

/** Records the ends of chord members and enqueues each chord's callback once. */
export class ChordCompletion {
  #storage: () => Storage;
  #serializer: SerializerLike;
  #enqueueOnce: (marker: string, task: Task, ttl: number) => Promise<boolean>;

  /** @param options See {@linkcode ChordCompletionOptions}. */
  constructor(options: ChordCompletionOptions) {
    this.#storage = options.storage;
    this.#serializer = options.serializer;
    this.#enqueueOnce = options.enqueueOnce;
  }

  /**
   * Records a member's outcome; when it is the last member to end, enqueues
   * the callback (once) with every outcome in order and removes what the
   * chord stored. Call it before the member's message is acknowledged.
   *
   * @param membership The member's place in its chord.
   * @param outcome Its value, its `TaskError`, or `null` when it was skipped.
   * @returns `true` when this call enqueued the callback.
   */
  async complete(membership: ChordMembership, outcome: unknown): Promise<boolean> {
    const storage = this.#storage();
    const set = `chord:${membership.id}`;
    const value = this.#serializer.serialize(outcome ?? null);
    await storage.putData(outcomeKey(membership, membership.index), value);
    const ended = await storage.addMember(set, String(membership.index));
    if (ended < membership.size) {
      // `incr(0)` reads the done counter (0 when missing; one created expires).
      const done = await storage.incr(`${set}:done`, 0, { ttl: CHORD_MARKER_TTL });
      if (done > 0) await this.#forget(set, [outcomeKey(membership, membership.index)]);
      return false;
    }
    const keys = Array.from({ length: membership.size }, (_, i) => outcomeKey(membership, i));
    const stored = storage.peekMany
      ? await storage.peekMany(keys)
      : await Promise.all(keys.map((key) => storage.peekData(key)));
    const outcomes = stored.map((raw) => raw === null ? null : this.#serializer.deserialize(raw));
    const callback = Task.fromData(membership.callback);
    callback.args = [...callback.args, outcomes];
    const enqueued = await this.#enqueueOnce(set, callback, CHORD_MARKER_TTL);
    await storage.incr(`${set}:done`, 1, { ttl: CHORD_MARKER_TTL });
    await this.#forget(set, keys);
    return enqueued;
  }

  /** Removes a chord's member set and these outcomes. */
  async #forget(set: string, keys: readonly string[]): Promise<void> {
    const storage = this.#storage();
    for (const key of keys) await storage.deleteData(key);
    await storage.deleteMembers(set);
  }
}
