/**
 * Every error class huey throws, and the control-flow errors a task may throw
 * on purpose (`CancelExecution`, `RetryTask`).
 *
 * @module
 */

/** Base class of huey's own errors. */
export class HueyError extends Error {
  /**
   * @param message What went wrong.
   * @param options `cause`, as for `Error`.
   */
  constructor(message?: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "HueyError";
  }
}

/**
 * A Huey, task or consumer was configured wrongly, or an operation is not
 * allowed in the current configuration.
 *
 * @example
 * ```ts
 * import { ConfigurationError } from "./errors.ts";
 * const error = new ConfigurationError("Option 'workers' must be >= 1, got 0");
 * console.assert(error.name === "ConfigurationError");
 * ```
 */
export class ConfigurationError extends HueyError {
  /**
   * @param message What is wrong with the configuration.
   * @param options `cause`, as for `Error`.
   */
  constructor(message?: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "ConfigurationError";
  }
}

/** A task lock could not be acquired because another holder has it. */
export class TaskLockedError extends HueyError {
  /**
   * @param message Usually `unable to acquire lock <name>`.
   * @param options `cause`, as for `Error`.
   */
  constructor(message?: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "TaskLockedError";
  }
}

/** A blocking `Result.get()` waited longer than its `timeout`. */
export class ResultTimeout extends HueyError {
  /**
   * @param message Defaults to `timed out waiting for result`.
   * @param options `cause`, as for `Error`.
   */
  constructor(message = "timed out waiting for result", options?: ErrorOptions) {
    super(message, options);
    this.name = "ResultTimeout";
  }
}

/** A task ran past its `timeout` and was stopped. */
export class TaskTimeout extends HueyError {
  /**
   * @param message Says which task and which timeout.
   * @param options `cause`, as for `Error`.
   */
  constructor(message?: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "TaskTimeout";
  }
}

/** Options of {@linkcode CancelExecution}. */
export interface CancelExecutionOptions {
  /**
   * `true` retries the task (keeping at least one retry), `false` never does,
   * `undefined` retries only when the task has retries left.
   */
  retry?: boolean;
}

/**
 * Thrown by a task or a pre-execute hook to cancel the execution.
 *
 * @example
 * ```ts
 * import { CancelExecution } from "./errors.ts";
 * const cancel = new CancelExecution({ retry: true });
 * console.assert(cancel.retry === true);
 * ```
 */
export class CancelExecution extends Error {
  /** Whether the task should be retried; see {@linkcode CancelExecutionOptions}. */
  readonly retry: boolean | undefined;

  /**
   * @param options `retry`, and `message`/`cause`.
   */
  constructor(
    options: CancelExecutionOptions & ErrorOptions & { message?: string } = {},
  ) {
    super(options.message ?? "", { cause: options.cause });
    this.name = "CancelExecution";
    this.retry = options.retry;
  }
}

/** Options of {@linkcode RetryTask}. */
export interface RetryTaskOptions {
  /** Retry after this many seconds. */
  delay?: number;
  /** Retry at this time. */
  eta?: Date;
}

/**
 * Thrown by a task to be run again. It does not use up one of the task's
 * retries. Without `delay` or `eta` the task's `retryDelay` applies.
 *
 * @example
 * ```ts
 * import { RetryTask } from "./errors.ts";
 * const retry = new RetryTask({ delay: 30 });
 * console.assert(retry.delay === 30);
 * ```
 */
export class RetryTask extends Error {
  /** Seconds to wait before the retry, if given. */
  readonly delay: number | undefined;
  /** When to retry, if given. */
  readonly eta: Date | undefined;

  /**
   * @param options `delay` or `eta`, and `message`/`cause`.
   */
  constructor(
    options: RetryTaskOptions & ErrorOptions & { message?: string } = {},
  ) {
    super(options.message ?? "", { cause: options.cause });
    this.name = "RetryTask";
    this.delay = options.delay;
    this.eta = options.eta;
  }
}

/** What huey stores about a failed task, and what {@linkcode TaskError} carries. */
export interface ErrorMetadata {
  /** `String(error)`, e.g. `Error: boom`. */
  error: string;
  /** The error's `name`. */
  name?: string;
  /** The error's `message`. */
  message?: string;
  /** The error's stack, if any. */
  traceback?: string;
  /** The task's retries left when it failed (before the retry decrement). */
  retries?: number;
  /** The id of the task that failed. */
  taskId?: string;
  /** More fields a `buildErrorResult` override added. */
  [key: string]: unknown;
}

/**
 * A task failed: `Result.get()` rejects with this error. `message` is
 * `metadata.error`.
 *
 * @example
 * ```ts
 * import { TaskError } from "./errors.ts";
 * const error = new TaskError({ error: "Error: boom", retries: 0 });
 * console.assert(error.message === "Error: boom");
 * ```
 */
export class TaskError extends HueyError {
  /** What the worker recorded about the failure. */
  readonly metadata: Readonly<ErrorMetadata>;

  /**
   * @param metadata The stored error metadata.
   * @param options `cause`, as for `Error`.
   */
  constructor(metadata: ErrorMetadata, options?: ErrorOptions) {
    super(metadata.error || "unknown error", options);
    this.name = "TaskError";
    this.metadata = metadata;
  }
}

/** Options of {@linkcode RateLimitExceeded}. */
export interface RateLimitExceededOptions extends ErrorOptions {
  /**
   * Reschedule the task for the next window without using up a retry.
   * @default true
   */
  retry?: boolean;
}

/**
 * A rate limit's window is full (`huey.rateLimit()`, or a task's `rateLimit`
 * option). In a task, `retry` reschedules it for the next window without
 * using up a retry; without `retry` it is an ordinary failure.
 *
 * @example
 * ```ts
 * import { RateLimitExceeded } from "./errors.ts";
 * const error = new RateLimitExceeded("sync", 12.5);
 * console.assert(error.delay === 12.5 && error.retry);
 * ```
 */
export class RateLimitExceeded extends HueyError {
  /**
   * The rate limit's name (huey's `key`; `name` is the error class's name,
   * as on every error).
   */
  readonly key: string;
  /** Seconds until the window resets. */
  readonly delay: number;
  /** Whether a task that hits the limit is rescheduled for the next window. */
  readonly retry: boolean;

  /**
   * @param key The rate limit's name.
   * @param delay Seconds until the window resets.
   * @param options `retry`, and `cause`.
   */
  constructor(key: string, delay: number, options: RateLimitExceededOptions = {}) {
    super(`Rate limit "${key}" exceeded: the window resets in ${delay.toFixed(3)}s`, options);
    this.name = "RateLimitExceeded";
    this.key = key;
    this.delay = delay;
    this.retry = options.retry ?? true;
  }
}
