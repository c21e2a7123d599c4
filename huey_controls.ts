/**
 * `HueyControls`: the members of a Huey that steer tasks without running
 * them: revoking and restoring, named locks, rate limits, and the failures. `Huey` extends
 * it and gives it its `Revocations`, `Locks` and `Failures` parts; it extends `HueyData`.
 *
 * @module
 */
import type { FailureRecord, Failures, FailuresOptions } from "./failures.ts";
import { HueyData } from "./huey_data.ts";
import type { RevokeTarget } from "./huey_options.ts";
import type { LockOptions, Locks, TaskLock } from "./lock.ts";
import { RateLimit, type RateLimitOptions } from "./rate_limit.ts";
import { Result } from "./result.ts";
import type { IsRevokedOptions, Revocations, RevokeOptions } from "./revoke.ts";
import type { Task } from "./task.ts";
import { type AnyTaskWrapper, isTaskWrapper } from "./wrapper.ts";

/**
 * Revocation and locks, as a Huey shows them. A base of `Huey`, which gives
 * it the parts that do the work.
 */
export abstract class HueyControls extends HueyData {
  /** The revocation keys (a part built by the Huey). */
  protected abstract get revocations(): Revocations;
  /** The named locks (a part built by the Huey). */
  protected abstract get locks(): Locks;
  /** The failures (a part built by the Huey). */
  protected abstract get failureList(): Failures;

  // ---------------------------------------------------------------- revocation

  /** Revokes one task (by default until restored). */
  revoke(task: Task, options?: RevokeOptions): Promise<void> {
    return this.revocations.revoke(task.id, false, options);
  }
  /** Revokes a task by its id. */
  revokeById(id: string, options?: RevokeOptions): Promise<void> {
    return this.revocations.revoke(id, false, options);
  }
  /** Revokes every call of a task. */
  revokeAll(wrapper: AnyTaskWrapper, options?: RevokeOptions): Promise<void> {
    return this.revocations.revoke(wrapper.name, true, options);
  }
  /** Lifts the revocation of one task; `true` when there was one. */
  restore(task: Task): Promise<boolean> {
    return this.revocations.restore(task.id, false);
  }
  /** Lifts the revocation of a task id; `true` when there was one. */
  restoreById(id: string): Promise<boolean> {
    return this.revocations.restore(id, false);
  }
  /** Lifts the revocation of a whole task; `true` when there was one. */
  restoreAll(wrapper: AnyTaskWrapper): Promise<boolean> {
    return this.revocations.restore(wrapper.name, true);
  }
  /** Revokes every call of the task of this name (`revokeAll` by name, for tools like the dashboard). */
  revokeByName(name: string, options?: RevokeOptions): Promise<void> {
    return this.revocations.revoke(name, true, options);
  }
  /** Lifts the revocation of the task of this name; `true` when there was one. */
  restoreByName(name: string): Promise<boolean> {
    return this.revocations.restore(name, true);
  }
  /** Whether every call of the task of this name is revoked. */
  isRevokedByName(name: string, options?: IsRevokedOptions): Promise<boolean> {
    return this.revocations.isKeyRevoked(name, true, options);
  }
  /** Whether a task, task id, Result or whole task (wrapper) is revoked. */
  isRevoked(target: RevokeTarget, options?: IsRevokedOptions): Promise<boolean> {
    const revocations = this.revocations;
    if (isTaskWrapper(target)) return revocations.isKeyRevoked(target.name, true, options);
    if (typeof target === "string") return revocations.isKeyRevoked(target, false, options);
    return revocations.isRevoked(target instanceof Result ? target.task : target, options);
  }

  // ---------------------------------------------------------------- locks

  /** A named lock (see {@linkcode TaskLock}). */
  lockTask(name: string, options?: LockOptions): TaskLock {
    return this.locks.lock(name, options);
  }
  /** Whether a lock is held. */
  isLocked(name: string): Promise<boolean> {
    return this.lockTask(name).isLocked();
  }
  /**
   * Releases every known lock and the named ones, whoever holds them (the
   * consumer's `--flush-locks` at start-up); resolves to the names that were held.
   */
  flushLocks(...names: string[]): Promise<Set<string>> {
    return this.locks.flush(names);
  }

  // ---------------------------------------------------------------- rate limits

  /**
   * A fixed-window rate limit kept in this Huey's storage, shared by every
   * Huey of that storage (see {@linkcode RateLimit}; tasks take the
   * `rateLimit` option instead).
   *
   * @param name The rate limit's name.
   * @param options `limit` per window of `per` seconds, `retry`.
   * @throws {ConfigurationError} `limit` is not a whole number >= 1, or `per` not a number > 0.
   */
  rateLimit(name: string, options: RateLimitOptions): RateLimit {
    return new RateLimit(() => this.storage, name, options);
  }

  // ---------------------------------------------------------------- failures

  /**
   * The tasks that failed for good (no retry followed; not cancelled),
   * newest first: at most `limit`, of the task `name` when given. The list
   * keeps the newest `failuresMaxLength` (a Huey option, 1,000 by default).
   */
  failures(options?: FailuresOptions): Promise<FailureRecord[]> {
    return this.failureList.list(options);
  }
  /**
   * Enqueues a failed task again (same id, to run now, with its task's
   * retries) and removes its record; `false` when there is no failure of
   * that id (never failed, or retried or purged since).
   */
  retryFailure(id: string): Promise<boolean> {
    return this.failureList.retry(id);
  }
  /** Removes every failure record; resolves to how many there were. */
  purgeFailures(): Promise<number> {
    return this.failureList.purge();
  }
  /** How many failure records are kept. */
  failureCount(): Promise<number> {
    return this.failureList.count();
  }
}
