/**
 * The `Executor`: how one task runs, as huey's `Huey.execute`, step by step
 * with the signal orders of the reference — and everything after: its
 * outcome stored, its follow-up enqueued, its message acknowledged (or put
 * back when it was interrupted). A task's trip from its lease to its ack
 * passes through here once.
 *
 * @module
 * @internal
 */
import { CancelExecution, type ErrorMetadata, HueyError, TaskError } from "./errors.ts";
import { reportFailure } from "./_failure_report.ts";
import { type HookList, type PostExecuteHook, type PreExecuteHook, runEach } from "./hooks.ts";
import { Interrupted, invoke } from "./invoke.ts";
import { type ChordCompletion, endedMembership } from "./chord_completion.ts";
import type { EventPublisher } from "./event_publisher.ts";
import type { LeaseKeeper, TaskLease } from "./leases.ts";
import { getLogger } from "./logger.ts";
import { trackProgress } from "./progress.ts";
import { RateLimit } from "./rate_limit.ts";
import type { TaskRegistry } from "./registry.ts";
import { instanceKey, type Revocations } from "./revoke.ts";
import type { SerializerLike } from "./serializer.ts";
import {
  SIGNAL_CANCELED,
  SIGNAL_COMPLETE,
  SIGNAL_EXECUTING,
  SIGNAL_EXPIRED,
  SIGNAL_INTERRUPTED,
  SIGNAL_RETRYING,
  SIGNAL_REVOKED,
  type SignalDispatcher,
  type SignalName,
} from "./signals.ts";
import type { Storage } from "./storage/base.ts";
import type { Task } from "./task.ts";
import { relativeTime } from "./time.ts";
import type { Tracing } from "./tracing.ts";
import { failedForGood, type Failures } from "./failures.ts";
import { unknownTask, unknownTaskIn } from "./_task_message.ts";
import { valueArguments, withValue } from "./stage_arguments.ts";
import { retryDelayFor } from "./retry_delay.ts";
import { uniqueMarker } from "./unique.ts";

const logger = getLogger("huey");

/**
 * The metadata stored for a failed task (`TaskError.metadata`).
 *
 * @param task The task that failed.
 * @param error What it threw.
 */
export function buildErrorResult(task: Task, error: unknown): ErrorMetadata {
  const isError = error instanceof Error;
  return {
    error: error instanceof TaskError ? error.metadata.error : String(error),
    name: isError ? error.name : undefined,
    message: isError ? error.message : undefined,
    traceback: isError ? error.stack : undefined,
    retries: task.retries,
    taskId: task.id,
  };
}

/** Where an executor sends the tasks that follow one it ran. */
export interface FollowUps {
  /** Enqueues a task (a next stage, an error handler). */
  enqueue(task: Task): Promise<unknown>;
  /** Enqueues a task that ran as it is, unique or not (a retry keeps its unique marker). */
  requeue(task: Task): Promise<unknown>;
  /** Puts a task in the schedule (a retry with a delay, a task not due yet). */
  schedule(task: Task): Promise<void>;
  /** Moves a message aside with the reason. */
  deadLetter(data: Uint8Array, error: unknown): Promise<void>;
}

/** What an {@linkcode Executor} is built from. */
export interface ExecutorOptions {
  /** Gives the storage in use. */
  storage: () => Storage;
  /** Turns results into bytes. */
  serializer: SerializerLike;
  /** The registered tasks. */
  registry: TaskRegistry;
  /** The signal handlers. */
  signals: SignalDispatcher;
  /** The pre-execute hooks. */
  preExecuteHooks: HookList<PreExecuteHook>;
  /** The post-execute hooks. */
  postExecuteHooks: HookList<PostExecuteHook>;
  /** The leases of the dequeued tasks. */
  leases: LeaseKeeper;
  /** The revocation keys. */
  revocations: Revocations;
  /** Where follow-ups go. */
  followUps: FollowUps;
  /** Records the ends of chord members. */
  chords: ChordCompletion;
  /** Store results. */
  results: boolean;
  /** Store `undefined`/`null` results too. */
  storeNone: boolean;
  /** Store the error of a failed attempt that a retry follows. */
  storeIntermediateErrors: boolean;
  /** The metadata stored for a failure (`Huey.buildErrorResult`, which may be overridden). */
  buildErrorResult: (task: Task, error: unknown) => ErrorMetadata;
  /** The process spans of the executions. */
  tracing: Tracing;
  /** Records the tasks that fail for good. */
  failures: Failures;
  /** Publishes the signals as events while a consumer runs here. */
  events: EventPublisher;
}

/** One execution under way: its task, its lease, and what became of it. */
interface Execution {
  task: Task;
  /** The lease of its message, or `undefined` when it is not leased. */
  lease: TaskLease | undefined;
  /** Told when only the storing of the outcome remains. */
  onStoring: (() => void) | undefined;
  /** The message was acknowledged along with the outcome (`Storage.finish`). */
  acked: boolean;
  /** The task was interrupted: its message goes back to the queue. */
  interrupted: boolean;
}

const RESOLVED = Promise.resolve();

/** Runs tasks and stores their outcomes: one per Huey. */
export class Executor {
  /** Whether `undefined`/`null` results are stored. */
  storeNone: boolean;
  #storage: () => Storage;
  #serializer: SerializerLike;
  #registry: TaskRegistry;
  #signals: SignalDispatcher;
  #preExecuteHooks: HookList<PreExecuteHook>;
  #postExecuteHooks: HookList<PostExecuteHook>;
  #leases: LeaseKeeper;
  #revocations: Revocations;
  #followUps: FollowUps;
  #chords: ChordCompletion;
  #results: boolean;
  #storeIntermediateErrors: boolean;
  #buildErrorResult: (task: Task, error: unknown) => ErrorMetadata;
  #tracing: Tracing;
  #failures: Failures;
  #events: EventPublisher;

  /** @param options See {@linkcode ExecutorOptions}. */
  constructor(options: ExecutorOptions) {
    this.#storage = options.storage;
    this.#serializer = options.serializer;
    this.#registry = options.registry;
    this.#signals = options.signals;
    this.#preExecuteHooks = options.preExecuteHooks;
    this.#postExecuteHooks = options.postExecuteHooks;
    this.#leases = options.leases;
    this.#revocations = options.revocations;
    this.#followUps = options.followUps;
    this.#chords = options.chords;
    this.#results = options.results;
    this.storeNone = options.storeNone;
    this.#storeIntermediateErrors = options.storeIntermediateErrors;
    this.#buildErrorResult = options.buildErrorResult;
    this.#tracing = options.tracing;
    this.#failures = options.failures;
    this.#events = options.events;
  }

  /**
   * Runs a task as a worker does (the eta, revocation and expiry checks,
   * hooks, signals, result, retries and pipeline), renewing its message's
   * lease meanwhile; then acknowledges the message, unless it went along
   * with the outcome, or puts it back when the task was interrupted. When
   * storing fails, the lease is left to expire so the message comes again.
   *
   * @param task The task.
   * @param now "Now", for the eta, revocation and expiry checks.
   * @param signal Interrupts the task.
   * @param onStoring Told when only the storing of the outcome remains.
   * @param failure Record this failure instead of running the task.
   * @returns The task's value, or `undefined` when it did not run or failed.
   */
  execute(
    task: Task,
    now: Date,
    signal?: AbortSignal,
    onStoring?: () => void,
    failure?: unknown,
  ): Promise<unknown> {
    const run = () => this.#execute(task, now, signal, onStoring, failure);
    return this.#tracing.process(task, now, run);
  }

  async #execute(
    task: Task,
    now: Date,
    signal: AbortSignal | undefined,
    onStoring: (() => void) | undefined,
    failure: unknown,
  ): Promise<unknown> {
    const lease = this.#leases.take(task);
    const execution: Execution = { task, lease, onStoring, acked: false, interrupted: false };
    if (lease === undefined) return this.#run(execution, now, signal, failure);
    const { receipt } = lease;
    this.#leases.track(lease);
    let value: unknown;
    try {
      value = await this.#run(execution, now, signal, failure);
    } finally {
      this.#leases.untrack(lease);
    }
    if (execution.interrupted) await this.#storage().release(receipt);
    else {
      this.#leases.settle(lease);
      if (!execution.acked) await this.#storage().ack(receipt);
    }
    return value;
  }

  /** The checks, then the run, then its outcome; resolves to the task's value. */
  async #run(
    execution: Execution,
    now: Date,
    signal: AbortSignal | undefined,
    failure: unknown,
  ): Promise<unknown> {
    const { task } = execution;
    if (failure !== undefined) return this.#conclude(execution, undefined, failure, true);
    if (task.eta !== null && task.eta.getTime() > now.getTime()) {
      await this.#followUps.schedule(task);
      return undefined;
    }
    const revocations = this.#revocations;
    if (
      !revocations.clearedAhead(task) &&
      await revocations.isRevoked(task, { timestamp: now, peek: false })
    ) {
      if (task.unique) await this.#releaseUnique(task);
      this.#tracing.ended(task, "revoked");
      await this.#signals.emit(SIGNAL_REVOKED, task);
      await this.#endChordMember(task, null, true);
      return undefined;
    }
    if (task.expiresResolved && task.expiresResolved.getTime() < now.getTime()) {
      if (task.unique) await this.#releaseUnique(task);
      this.#tracing.ended(task, "expired");
      await this.#signals.emit(SIGNAL_EXPIRED, task);
      await this.#endChordMember(task, null, true);
      return undefined;
    }
    const definition = this.#registry.get(task.name);
    if (!definition) throw new HueyError(unknownTask(task.name));
    const logsInfo = logger.isEnabledFor("INFO");
    // The task as its two INFO lines name it, built once (a consumer at INFO writes both for every task).
    const label = logsInfo ? String(task) : "";
    if (logsInfo) logger.info(`Executing ${label}`);
    const started = logsInfo ? performance.now() : 0;
    const executing = this.#signals.dispatch(SIGNAL_EXECUTING, task);
    if (executing !== null) await executing;
    if (this.#preExecuteHooks.size > 0 && await this.#cancelledByHook(task)) {
      if (task.unique) await this.#releaseUnique(task);
      await this.#endChordMember(task, null, true);
      return undefined;
    }
    if (definition.context) trackProgress(task, this.#storage, this.#serializer, this.#events);

    let value: unknown;
    try {
      const { rateLimit } = definition;
      if (rateLimit) await new RateLimit(this.#storage, rateLimit.name, rateLimit).acquire();
      value = invoke(definition, task, signal);
      if (value instanceof Promise) value = await value;
    } catch (error) {
      if (!(error instanceof Interrupted)) return this.#conclude(execution, undefined, error, true);
      logger.warning(
        execution.lease === undefined
          ? `Interrupted ${task}: its message is not put back (it was not leased: acks off)`
          : `Interrupted ${task}: its message goes back to the queue`,
      );
      this.#tracing.ended(task, "interrupted");
      await this.#emit(SIGNAL_INTERRUPTED, task);
      execution.interrupted = true;
      return undefined;
    }
    if (logsInfo) {
      logger.info(`${label} executed in ${((performance.now() - started) / 1000).toFixed(3)}s`);
    }
    return await this.#conclude(execution, value, undefined, false);
  }

  /** Emits a signal; skips the call when nobody listens (the hot path). */
  #emit(signal: SignalName, task: Task): Promise<void> {
    return this.#signals.dispatch(signal, task) ?? RESOLVED;
  }

  /**
   * What follows a run: the failure's signal, the result, post-execute
   * hooks, then the pipeline's next stage, or a retry or the error handler.
   *
   * When nothing after the result needs the message (no next stage, retry
   * or error handler to enqueue), the result is stored and the message
   * acknowledged in one step (`Storage.finish`), before the post-execute
   * hooks; when no hook or signal follows either, the execution's
   * `onStoring` is told that only that step remains.
   */
  async #conclude(
    execution: Execution,
    value: unknown,
    error: unknown,
    failed: boolean,
  ): Promise<unknown> {
    const { task, lease } = execution;
    if (failed) this.#events.failed(task, error);
    const retryEta = failed ? await reportFailure(task, error, this.#signals) : null;
    if (failed) this.#tracing.failed(task, error);
    if (task.unique && !(failed && task.retries > 0)) await this.#releaseUnique(task);
    const periodic = this.#registry.get(task.name)?.validate != null;
    const followUp = failed ? task.retries > 0 || task.errorHandler !== null : task.next !== null;
    // A chord member's end is recorded before its message is acknowledged: no finish() then.
    const member = failed && task.retries > 0 ? null : endedMembership(task, failed);
    const deleteKeys = periodic ? [] : [instanceKey(task.id)];
    let result: { key: string; value: Uint8Array } | undefined;
    if (this.#results && !periodic) {
      if (failed) {
        if (this.#storeIntermediateErrors || task.retries === 0) {
          result = this.#resultOf(task, new TaskError(this.#buildErrorResult(task, error)));
        }
      } else if (value != null || this.storeNone) result = this.#resultOf(task, value);
    }
    if (failed && failedForGood(task, error)) {
      await this.#failures.record(task, this.#buildErrorResult(task, error));
    }
    const storage = this.#storage();
    const acked = !followUp && storage.finish !== undefined && member === null;
    const hooks = this.#postExecuteHooks.size > 0 ? this.#postExecuteHooks.hooks : [];
    if (lease !== undefined) this.#leases.settle(lease);
    if (acked) {
      if (!failed) this.#events.completing(task); // its event goes with the outcome
      const options = this.#events.withEvents({ deleteKeys, result });
      const storing = storage.finish!(lease?.receipt ?? null, options);
      if (hooks.length === 0 && (failed || !this.#signals.hasHandlers(SIGNAL_COMPLETE))) {
        execution.onStoring?.();
      }
      try {
        await storing;
      } catch (error) {
        this.#events.keepUnstored(options); // stored with a later step
        throw error;
      }
      execution.acked = true;
    } else {
      for (const key of deleteKeys) await storage.deleteData(key);
      if (result) await storage.putData(result.key, result.value, { isResult: true });
    }
    if (hooks.length > 0) await runEach(hooks, [task, value, error], "Post-execute hook", logger);
    if (!failed) {
      const complete = this.#signals.dispatch(SIGNAL_COMPLETE, task);
      if (complete !== null) await complete;
      if (task.next) {
        await this.#enqueueFollowUp(
          task,
          withValue(task.next, valueArguments(value)),
          "next stage",
        );
      }
      if (member !== null) await this.#chords.complete(member, value);
      return value;
    }
    if (task.retries > 0) {
      await this.#emit(SIGNAL_RETRYING, task);
      await this.#events.flush(); // stored before another consumer can run the retry
      await this.#requeue(task, retryEta);
    } else if (task.errorHandler) {
      await this.#enqueueFollowUp(task, withValue(task.errorHandler, [error]), "error handler");
    }
    if (member !== null) {
      await this.#chords.complete(member, new TaskError(this.#buildErrorResult(task, error)));
    }
    return undefined;
  }

  /** Records the end of a chord member, when the task ends one (see chord_completion.ts). */
  #endChordMember(task: Task, outcome: unknown, early: boolean): Promise<unknown> {
    const member = endedMembership(task, early);
    return member === null ? RESOLVED : this.#chords.complete(member, outcome);
  }

  /** A task's result as the key and bytes to store. */
  #resultOf(task: Task, value: unknown): { key: string; value: Uint8Array } {
    return { key: task.id, value: this.#serializer.serialize(value) };
  }

  /**
   * Removes a unique task's marker: it is done for good (no retry follows),
   * and the marker goes before its outcome is stored and its message
   * acknowledged, so that a crash in between can at worst let a duplicate
   * in, never keep the id blocked.
   */
  #releaseUnique(task: Task): Promise<boolean> {
    return this.#storage().deleteMarker(uniqueMarker(task.id));
  }

  /** Runs the pre-execute hooks; `true` when one cancelled the task. */
  async #cancelledByHook(task: Task): Promise<boolean> {
    const hooks = this.#preExecuteHooks.hooks;
    const cancelled = await runEach(hooks, [task], "Pre-execute hook", logger, isCancel);
    if (cancelled) await this.#signals.emit(SIGNAL_CANCELED, task);
    return cancelled;
  }

  /**
   * Enqueues a task's next stage or error handler. When a task of it is not
   * registered here (the registry changed since the message was read), it
   * goes to the dead letters with the reason instead: the task that ran is
   * done, and must not run again because its follow-up cannot.
   */
  async #enqueueFollowUp(
    task: Task,
    followUp: Task,
    role: "next stage" | "error handler",
  ): Promise<void> {
    const data = followUp.toData();
    const unknown = unknownTaskIn(data, this.#registry, `${role} of "${task.name}"`);
    this.#events.claim(followUp, task);
    if (unknown === null) await this.#followUps.enqueue(followUp);
    else {
      await this.#followUps.deadLetter(this.#serializer.serialize(data), new HueyError(unknown));
    }
  }

  /**
   * Puts a failed task back: scheduled after its retry delay (grown by its
   * backoff, see retry_delay.ts) or at the eta asked for, else enqueued.
   */
  async #requeue(task: Task, retryEta: Date | null): Promise<void> {
    task.retries -= 1;
    task.retried += 1;
    const delay = retryEta === null
      ? (task.retryDelay ? retryDelayFor(task, task.retried) : 0)
      : Math.max(0, (retryEta.getTime() - Date.now()) / 1000);
    const eta = retryEta ?? relativeTime(delay, "retryDelay");
    logger.info(
      `Requeueing ${task.name}: ${task.id} in ${+delay.toFixed(3)}s, ${task.retries} retries left`,
    );
    if (eta) {
      task.eta = eta;
      await this.#followUps.schedule(task);
    } else {
      task.eta = null;
      await this.#followUps.requeue(task);
    }
  }
}

/** Whether a pre-execute hook's error cancels the task. */
function isCancel(error: unknown): boolean {
  return error instanceof CancelExecution;
}
