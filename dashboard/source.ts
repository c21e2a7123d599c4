/**
 * What the dashboard reads and steers: the members of a Huey it uses,
 * named structurally so that the dashboard depends on its parts, not on
 * `huey.ts` (a `Huey` is one).
 *
 * @module
 */
import type { FailureRecord, FailuresOptions } from "../failures.ts";
import type { TaskDefinition } from "../registry.ts";
import type { IsRevokedOptions } from "../revoke.ts";
import type { SerializerLike } from "../serializer.ts";
import type { DeadLetter, Storage } from "../storage/base.ts";
import type { Task } from "../task.ts";

/** The Huey a dashboard shows (any `Huey`). */
export interface DashboardHuey {
  /** The queue's name. */
  readonly name: string;
  /** Whether periodic tasks are matched in UTC. */
  readonly utc: boolean;
  /** The storage in use. */
  readonly storage: Storage;
  /** Turns stored values into values. */
  readonly serializer: SerializerLike;
  /** The registered tasks (for the periodic ones and the names). */
  readonly registry: {
    periodic(): TaskDefinition[];
    names(): string[];
    get(name: string): TaskDefinition | undefined;
  };
  /** The first waiting tasks. */
  pending(options?: { limit?: number }): Promise<Task[]>;
  /** The first scheduled tasks. */
  scheduled(options?: { limit?: number }): Promise<Task[]>;
  /** The failures, newest first. */
  failures(options?: FailuresOptions): Promise<FailureRecord[]>;
  /** Enqueues a failed task again. */
  retryFailure(id: string): Promise<boolean>;
  /** Removes every failure record. */
  purgeFailures(): Promise<number>;
  /** The dead letters, oldest first. */
  deadLetters(options?: { limit?: number }): Promise<DeadLetter[]>;
  /** Enqueues a dead letter's message again. */
  requeueDeadLetter(id: string): Promise<boolean>;
  /** Removes every dead letter. */
  purgeDeadLetters(): Promise<number>;
  /** Revokes a task by id. */
  revokeById(id: string): Promise<void>;
  /** Lifts a task id's revocation. */
  restoreById(id: string): Promise<boolean>;
  /** Revokes every call of a task name. */
  revokeByName(name: string): Promise<void>;
  /** Lifts a task name's revocation. */
  restoreByName(name: string): Promise<boolean>;
  /** Whether a task id is revoked. */
  isRevoked(id: string, options?: IsRevokedOptions): Promise<boolean>;
  /** The task of a message's bytes. */
  deserializeTask(data: Uint8Array): Task;
  /** Whether a task name is revoked. */
  isRevokedByName(name: string, options?: IsRevokedOptions): Promise<boolean>;
}
