/**
 * How a worker runs one task: huey's `Huey.execute`, step by step, with the
 * signal orders of the reference.
 *
 * @module
 * @internal
 */
import {
  CancelExecution,
  type ErrorMetadata,
  HueyError,
  RetryTask,
  TaskError,
  TaskLockedError,
  TaskTimeout,
} from "./errors.ts";
import type { Huey } from "./huey.ts";
import type { ExecutionOutcome, RunningLease } from "./leases.ts";
import { getLogger } from "./logger.ts";
import type { TaskDefinition } from "./registry.ts";
import { instanceKey } from "./revoke.ts";
import {
  SIGNAL_CANCELED,
  SIGNAL_COMPLETE,
  SIGNAL_ERROR,
  SIGNAL_EXECUTING,
  SIGNAL_EXPIRED,
  SIGNAL_INTERRUPTED,
  SIGNAL_LOCKED,
  SIGNAL_RETRYING,
  SIGNAL_REVOKED,
  type SignalName,
} from "./signals.ts";
import type { Task } from "./task.ts";
import { relativeTime, resolveEta } from "./time.ts";
import { unknownTaskIn } from "./_task_message.ts";
import { isTuple } from "./tuple.ts";

const logger = getLogger("huey");

/** Marks a run that stopped because the caller's signal aborted. */
class Interrupted extends Error {}

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

/**
 * Runs one task as a worker does and reports its value.
 *
 * @internal Called by `Huey.execute()`.
 */
export async function executeTask(
  huey: Huey,
  task: Task,
  now: Date,
  signal: AbortSignal | undefined,
  lease: RunningLease,
  failure?: unknown,
): Promise<ExecutionOutcome> {
  const done = (value?: unknown): ExecutionOutcome => ({ value, interrupted: false });
  if (failure !== undefined) return finish(huey, task, lease, undefined, failure, true);
  if (!huey.readyToRun(task, now)) {
    await huey.addSchedule(task);
    return done();
  }
  if (await huey.isRevoked(task, { timestamp: now, peek: false })) {
    await huey.signals.emit(SIGNAL_REVOKED, task);
    return done();
  }
  if (task.expiresResolved && task.expiresResolved.getTime() < now.getTime()) {
    await huey.signals.emit(SIGNAL_EXPIRED, task);
    return done();
  }
  const definition = huey.registry.get(task.name);
  if (!definition) {
    throw new HueyError(`Unknown task "${task.name}": no task of that name is registered`);
  }
  const logsInfo = logger.isEnabledFor("INFO");
  if (logsInfo) logger.info(`Executing ${task}`);
  const started = logsInfo ? performance.now() : 0;
  await emit(huey, SIGNAL_EXECUTING, task);
  if (huey.preExecuteHooks.size > 0 && await cancelledByHook(huey, task)) return done();

  let value: unknown;
  try {
    value = await run(definition, task, signal);
  } catch (error) {
    if (!(error instanceof Interrupted)) return finish(huey, task, lease, undefined, error, true);
    logger.warning(
      lease.receipt === null
        ? `Interrupted ${task}: its message is not put back (it was not leased: acks off)`
        : `Interrupted ${task}: its message goes back to the queue`,
    );
    await emit(huey, SIGNAL_INTERRUPTED, task);
    return { value: undefined, interrupted: true };
  }
  if (logsInfo) {
    logger.info(`${task} executed in ${((performance.now() - started) / 1000).toFixed(3)}s`);
  }
  return finish(huey, task, lease, value, undefined, false);
}

/** Emits a signal; skips the call when nobody listens (the hot path). */
function emit(huey: Huey, signal: SignalName, task: Task, ...extra: unknown[]): Promise<void> {
  return huey.signals.has(signal) ? huey.signals.emit(signal, task, ...extra) : RESOLVED;
}

const RESOLVED = Promise.resolve();

/**
 * What follows a run: the failure's signal, the result, post-execute hooks,
 * then the pipeline's next stage, or a retry or the error handler.
 *
 * When nothing after the result needs the message (no next stage, retry or
 * error handler to enqueue), the result is stored and the message
 * acknowledged in one step (`Storage.finish`), before the post-execute hooks;
 * when no hook or signal follows either, the caller is told it may go on
 * while that step completes (`RunningLease.storing`).
 */
async function finish(
  huey: Huey,
  task: Task,
  lease: RunningLease,
  value: unknown,
  error: unknown,
  failed: boolean,
): Promise<ExecutionOutcome> {
  const retryEta = failed ? await reportFailure(huey, task, error) : null;
  const periodic = huey.registry.get(task.name)?.validate != null;
  const followUp = failed ? task.retries > 0 || task.errorHandler !== null : task.next !== null;
  const deleteKeys = periodic ? [] : [instanceKey(task.id)];
  let result: { key: string; value: Uint8Array } | undefined;
  if (huey.results && !periodic) {
    if (failed) result = resultOf(huey, task, new TaskError(huey.buildErrorResult(task, error)));
    else if (value != null || huey.storeNone) result = resultOf(huey, task, value);
  }
  const acked = !followUp && huey.storage.finish !== undefined;
  const hooks = huey.postExecuteHooks.size > 0 ? huey.postExecuteHooks.hooks : [];
  lease.settling();
  if (acked) {
    const storing = huey.storage.finish!(lease.receipt, { deleteKeys, result });
    if (hooks.length === 0 && (failed || !huey.signals.has(SIGNAL_COMPLETE))) lease.storing();
    await storing;
  } else {
    for (const key of deleteKeys) await huey.storage.deleteData(key);
    if (result) await huey.storage.putData(result.key, result.value, { isResult: true });
  }
  for (const hook of hooks) {
    try {
      await hook(task, value, error);
    } catch (hookError) {
      logger.exception(`Post-execute hook ${hook.name || "(anonymous)"} failed`, hookError);
    }
  }
  if (!failed) {
    await emit(huey, SIGNAL_COMPLETE, task);
    if (task.next) {
      await enqueueFollowUp(huey, task, withValue(task.next, valueArguments(value)), "next stage");
    }
    return { value, interrupted: false, acked };
  }
  if (task.retries > 0) {
    await emit(huey, SIGNAL_RETRYING, task);
    await requeue(huey, task, retryEta);
  } else if (task.errorHandler) {
    await enqueueFollowUp(huey, task, withValue(task.errorHandler, [error]), "error handler");
  }
  return { value: undefined, interrupted: false, acked };
}

/** A task's result as the key and bytes to store. */
function resultOf(huey: Huey, task: Task, value: unknown): { key: string; value: Uint8Array } {
  return { key: task.id, value: huey.serializer.serialize(value) };
}

/** Runs the pre-execute hooks; `true` when one cancelled the task. */
async function cancelledByHook(huey: Huey, task: Task): Promise<boolean> {
  for (const hook of huey.preExecuteHooks.hooks) {
    try {
      await hook(task);
    } catch (error) {
      if (error instanceof CancelExecution) {
        await huey.signals.emit(SIGNAL_CANCELED, task);
        return true;
      }
      logger.exception(`Pre-execute hook ${hook.name || "(anonymous)"} failed`, error);
    }
  }
  return false;
}

/**
 * Emits the failure's signal and adjusts the task's retries for it.
 *
 * @returns The eta a `RetryTask` asked for, if any.
 */
async function reportFailure(huey: Huey, task: Task, error: unknown): Promise<Date | null> {
  if (error instanceof TaskLockedError) {
    logger.warning(`Task ${task.id} not run: ${error.message}`);
    await huey.signals.emit(SIGNAL_LOCKED, task);
  } else if (error instanceof RetryTask) {
    logger.info(`Task ${task.id} asked to be retried`);
    task.retries += 1;
    if (error.eta !== undefined || error.delay !== undefined) {
      return resolveEta(error.eta, error.delay);
    }
  } else if (error instanceof CancelExecution) {
    if (error.retry || (error.retry === undefined && task.retries > 0)) {
      task.retries = Math.max(task.retries, 1);
    } else {
      task.retries = 0;
    }
    logger.warning(`Task ${task.id} canceled`);
    await huey.signals.emit(SIGNAL_CANCELED, task);
  } else {
    logger.exception(`Unhandled exception in task ${task.id}.`, error);
    await huey.signals.emit(SIGNAL_ERROR, task, error);
  }
  return null;
}

/** Runs the task's function, stopping it at its timeout or when `signal` aborts. */
function run(
  definition: TaskDefinition,
  task: Task,
  signal: AbortSignal | undefined,
): Promise<unknown> {
  const controller = new AbortController();
  task.signal = controller.signal;
  if (signal?.aborted) {
    // Interrupted before it started: the function must not run at all.
    controller.abort(signal.reason);
    return Promise.reject(new Interrupted());
  }
  const args = definition.context ? [...task.args, task] : task.args;
  const timeout = task.timeout;
  const started = timeout === null ? 0 : performance.now();
  const work = new Promise<unknown>((resolve) =>
    resolve((definition.fn as (...a: unknown[]) => unknown)(...args))
  );
  if (timeout === null && !signal) return work;
  return new Promise((resolve, reject) => {
    /** The run was stopped (timeout or interrupt): its promise is abandoned. */
    let stopped = false;
    const stop = (reason: unknown, rejection: unknown): void => {
      stopped = true;
      controller.abort(reason);
      cleanup();
      reject(rejection);
    };
    // Counted from the start: the function's synchronous part has run already.
    const timer = timeout === null ? undefined : setTimeout(() => {
      const error = timeoutError(task);
      stop(error, error);
    }, Math.max(0, timeout * 1000 - (performance.now() - started)));
    const unwatch = signal && whenAborted(signal, () => stop(signal.reason, new Interrupted()));
    const cleanup = (): void => {
      clearTimeout(timer);
      unwatch?.();
    };
    /**
     * A run that ended past its deadline before the timer could fire (the
     * event loop was blocked) fails with `TaskTimeout` too.
     */
    const late = (): TaskTimeout | undefined => {
      if (timeout === null) return undefined;
      const seconds = (performance.now() - started) / 1000;
      if (seconds < timeout) return undefined;
      logger.warning(
        `${task} ended ${seconds.toFixed(3)}s after it started, past its timeout of ${timeout}s, ` +
          "before the timeout could stop it: it fails with TaskTimeout. Greenlet workers " +
          "cannot interrupt synchronous code that blocks the event loop; run such tasks with " +
          "thread or process workers (-k thread, -k process): those are ended at the timeout",
      );
      const error = timeoutError(task);
      controller.abort(error);
      return error;
    };
    work.then((value) => {
      if (stopped) return;
      cleanup();
      const overran = late();
      if (overran) reject(overran);
      else resolve(value);
    }, (error) => {
      if (stopped) return;
      cleanup();
      reject(late() ?? error);
    });
  });
}

/** The error of a task that ran past its timeout. */
function timeoutError(task: Task): TaskTimeout {
  return new TaskTimeout(`Task ${task.name} ${task.id} ran past its timeout of ${task.timeout}s`);
}

/** What to call when a caller's signal aborts: one listener per signal, not one per task. */
const stopsOf = new WeakMap<AbortSignal, Set<() => void>>();

/**
 * Calls `stop` when `signal` aborts.
 *
 * @returns Forgets `stop` again.
 */
function whenAborted(signal: AbortSignal, stop: () => void): () => void {
  let stops = stopsOf.get(signal);
  if (!stops) {
    const all = new Set<() => void>();
    signal.addEventListener("abort", () => [...all].forEach((each) => each()), { once: true });
    stopsOf.set(signal, stops = all);
  }
  stops.add(stop);
  return () => void stops.delete(stop);
}

/** The arguments a stage's value adds to the next stage: a tuple is spread, null adds nothing. */
function valueArguments(value: unknown): unknown[] {
  if (value === null || value === undefined) return [];
  return isTuple(value) ? [...value] : [value];
}

function withValue(next: Task, extra: unknown[]): Task {
  next.args = [...next.args, ...extra];
  return next;
}

/**
 * Enqueues a task's next stage or error handler. When a task of it is not
 * registered here (the registry changed since the message was read), it goes
 * to the dead letters with the reason instead: the task that ran is done, and
 * must not run again because its follow-up cannot.
 */
async function enqueueFollowUp(
  huey: Huey,
  task: Task,
  followUp: Task,
  role: "next stage" | "error handler",
): Promise<void> {
  const data = followUp.toData();
  const unknown = unknownTaskIn(data, huey.registry, `${role} of "${task.name}"`);
  if (unknown === null) await huey.enqueue(followUp);
  else await huey.deadLetter(huey.serializer.serialize(data), new HueyError(unknown));
}

/** Puts a failed task back: scheduled after its retry delay (or the eta asked for), else enqueued. */
async function requeue(huey: Huey, task: Task, retryEta: Date | null): Promise<void> {
  task.retries -= 1;
  const eta = retryEta ?? (task.retryDelay ? relativeTime(task.retryDelay, "retryDelay") : null);
  if (eta) {
    task.eta = eta;
    await huey.addSchedule(task);
  } else {
    task.eta = null;
    await huey.enqueue(task);
  }
}
