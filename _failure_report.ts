/**
 * What a failed task's kind says: which signal it emits, which line it
 * logs, and how its retries change (a `RetryTask` adds one, a
 * `CancelExecution` sets them, a rate limit consumes none) — huey's
 * `Huey._execute` exception handlers, one per kind.
 *
 * @module
 * @internal
 */
import {
  CancelExecution,
  RateLimitExceeded,
  RetryTask,
  TaskLockedError,
  TaskTimeout,
} from "./errors.ts";
import { getLogger } from "./logger.ts";
import { rateLimitedRetry } from "./rate_limit.ts";
import {
  SIGNAL_CANCELED,
  SIGNAL_ERROR,
  SIGNAL_LOCKED,
  SIGNAL_RATE_LIMITED,
  SIGNAL_TIMEOUT,
  type SignalDispatcher,
} from "./signals.ts";
import type { Task } from "./task.ts";
import { resolveEta } from "./time.ts";

const logger = getLogger("huey");

/**
 * Emits the failure's signal and adjusts the task's retries for it.
 *
 * @param task The task that failed; its `retries` may change.
 * @param error What it threw.
 * @param signals Where the failure's signal goes.
 * @returns The eta a `RetryTask` or a rate limit asked for, if any.
 */
export async function reportFailure(
  task: Task,
  error: unknown,
  signals: SignalDispatcher,
): Promise<Date | null> {
  if (error instanceof TaskLockedError) {
    logger.warning(`Task ${task.id} not run: ${error.message}`);
    await signals.emit(SIGNAL_LOCKED, task);
  } else if (error instanceof RateLimitExceeded) {
    const eta = rateLimitedRetry(task, error);
    await signals.emit(SIGNAL_RATE_LIMITED, task);
    return eta;
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
    await signals.emit(SIGNAL_CANCELED, task);
  } else if (error instanceof TaskTimeout) {
    logger.warning(`Task ${task.id} timed out after ${task.timeout}s.`);
    await signals.emit(SIGNAL_TIMEOUT, task);
  } else {
    // Its stack at WARNING while a retry follows; at ERROR when it failed for good.
    const message = `Unhandled exception in task ${task.id}.`;
    if (task.retries > 0) logger.warning(message, error);
    else logger.exception(message, error);
    await signals.emit(SIGNAL_ERROR, task, error);
  }
  return null;
}
