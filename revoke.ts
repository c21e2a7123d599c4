/**
 * Revocation: keys in the storage that make workers skip a task (one
 * instance by id, or every call of a task by name), once, until a time, or
 * until restored.
 *
 * @module
 * @internal
 */
import type { Huey } from "./huey.ts";
import { Result } from "./result.ts";
import type { Task } from "./task.ts";
import { type AnyTaskWrapper, isTaskWrapper } from "./wrapper.ts";

/** Options of the revoke methods. */
export interface RevokeOptions {
  /** Revoked until this time, then runs again. */
  revokeUntil?: Date;
  /** Skip only the next execution. @default false */
  revokeOnce?: boolean;
}

/** What `isRevoked()` accepts: a task, a task id, a Result, or a whole task (its wrapper). */
export type RevokeTarget = Task | string | Result | AnyTaskWrapper;

/** The storage key revoking one task instance. */
export function instanceKey(id: string): string {
  return `r:${id}`;
}

function taskKey(name: string): string {
  return `rt:${name}`;
}

/** Reads and writes the revocation keys of one Huey. */
export class Revocations {
  #huey: Huey;

  /**
   * @param huey The Huey whose storage holds the keys.
   */
  constructor(huey: Huey) {
    this.#huey = huey;
  }

  /** Revokes a task id (`whole: false`) or every call of a task name (`whole: true`). */
  revoke(idOrName: string, whole: boolean, options: RevokeOptions = {}): Promise<void> {
    const { revokeUntil = null, revokeOnce = false } = options;
    return this.#huey.put(whole ? taskKey(idOrName) : instanceKey(idOrName), [
      revokeUntil,
      revokeOnce,
    ]);
  }

  /** Lifts a revocation; `true` when there was one. */
  restore(idOrName: string, whole: boolean): Promise<boolean> {
    return this.#huey.storage.deleteData(whole ? taskKey(idOrName) : instanceKey(idOrName));
  }

  /**
   * Whether the target is revoked at `timestamp`. Without `peek`, a
   * revoke-once is consumed and a passed revoke-until is cleared. For a task,
   * its own key and its task's key are read together (one round trip), and
   * its own key decides first.
   */
  async isRevoked(
    target: RevokeTarget,
    options: { timestamp?: Date; peek?: boolean } = {},
  ): Promise<boolean> {
    const { timestamp, peek = true } = options;
    if (isTaskWrapper(target)) return this.#check(taskKey(target.name), timestamp, peek);
    const task = target instanceof Result ? target.task : target;
    if (typeof task === "string") return this.#check(instanceKey(task), timestamp, peek);
    const keys = [instanceKey(task.id), taskKey((task as Task).name)];
    const storage = this.#huey.storage;
    const [own, whole] = await Promise.all(keys.map((key) => storage.peekData(key)));
    return (await this.#settle(keys[0], own, timestamp, peek)) ||
      this.#settle(keys[1], whole, timestamp, peek);
  }

  async #check(key: string, timestamp: Date | undefined, peek: boolean): Promise<boolean> {
    return this.#settle(key, await this.#huey.storage.peekData(key), timestamp, peek);
  }

  /** Whether the revocation read from `key` holds; clears it when consumed or passed (unless `peek`). */
  async #settle(
    key: string,
    raw: Uint8Array | null,
    timestamp: Date | undefined,
    peek: boolean,
  ): Promise<boolean> {
    if (raw === null) return false;
    const [until, once] = this.#huey.serializer.deserialize(raw) as [Date | null, boolean];
    let revoked = true;
    let clear = false;
    if (once) {
      clear = !peek;
    } else if (until !== null && until.getTime() <= (timestamp ?? new Date()).getTime()) {
      revoked = false;
      clear = !peek;
    }
    if (clear) await this.#huey.storage.deleteData(key);
    return revoked;
  }
}
