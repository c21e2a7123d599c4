/**
 * How long a failed task waits before its next attempt: its `retryDelay`,
 * grown by `retryBackoff` at each retry, spread by `retryJitter`, capped by
 * `retryDelayMax` — and the checks of those settings.
 *
 * @module
 * @internal
 */
import { checkOption } from "./_options.ts";
import { MAX_SECONDS } from "./time.ts";

/** A task's retry settings (the fields of a `Task` and of its message). */
export interface RetryPolicy {
  /** Seconds before the first retry. */
  retryDelay: number;
  /** Each later retry waits this many times longer than the one before (1: all wait the same). */
  retryBackoff: number;
  /** 0 to 1: each delay is multiplied by a random factor in `[1 - j, 1 + j]`. */
  retryJitter: number;
  /** The longest delay in seconds, applied last; `null`: no cap. */
  retryDelayMax: number | null;
}

/** What `retryBackoff` may be. */
export const BACKOFF_ALLOWED = "a finite number >= 1";
/** What `retryJitter` may be. */
export const JITTER_ALLOWED = "a number from 0 to 1";
/** What `retryDelayMax` may be. */
export const DELAY_MAX_ALLOWED = `a number of seconds > 0 and at most ${MAX_SECONDS}, or null`;

/** Whether a value is a valid `retryBackoff`. */
export function isBackoff(value: unknown): value is number {
  return typeof value === "number" && Number.isFinite(value) && value >= 1;
}

/** Whether a value is a valid `retryJitter`. */
export function isJitter(value: unknown): value is number {
  return typeof value === "number" && value >= 0 && value <= 1;
}

/** Whether a value is a valid `retryDelayMax`. */
export function isDelayMax(value: unknown): value is number | null {
  return value === null || (typeof value === "number" && value > 0 && value <= MAX_SECONDS);
}

/**
 * Checks the backoff settings, wherever they are given (`task()`,
 * `withOptions()`, `schedule()`); `undefined` ones are skipped.
 *
 * @throws {ConfigurationError} A setting has a bad value; the message names it.
 */
export function checkRetryPolicy(settings: Partial<Omit<RetryPolicy, "retryDelay">>): void {
  const { retryBackoff, retryJitter, retryDelayMax } = settings;
  if (retryBackoff !== undefined) {
    checkOption(isBackoff(retryBackoff), "retryBackoff", retryBackoff, BACKOFF_ALLOWED);
  }
  if (retryJitter !== undefined) {
    checkOption(isJitter(retryJitter), "retryJitter", retryJitter, JITTER_ALLOWED);
  }
  if (retryDelayMax !== undefined) {
    checkOption(isDelayMax(retryDelayMax), "retryDelayMax", retryDelayMax, DELAY_MAX_ALLOWED);
  }
}

/** The backoff fields of a task message (docs/wire-format.md §4). */
export interface RetryFields {
  retryBackoff?: number;
  retryJitter?: number;
  retryDelayMax?: number | null;
  retried?: number;
}

/**
 * The backoff fields a message carries: only those away from their
 * defaults, so that a task without backoff keeps the message it had.
 *
 * @param task The task's settings and the retries it had.
 * @returns The fields to write.
 */
export function retryFields(
  task: Omit<RetryPolicy, "retryDelay"> & { retried: number },
): RetryFields {
  const fields: RetryFields = {};
  if (task.retryBackoff !== 1) fields.retryBackoff = task.retryBackoff;
  if (task.retryJitter !== 0) fields.retryJitter = task.retryJitter;
  if (task.retryDelayMax !== null) fields.retryDelayMax = task.retryDelayMax;
  if (task.retried !== 0) fields.retried = task.retried;
  return fields;
}

/**
 * The seconds to wait before retry number `attempt` (1 for the first):
 * `retryDelay * retryBackoff ** (attempt - 1)`, multiplied by a random
 * factor in `[1 - retryJitter, 1 + retryJitter]`, then capped by
 * `retryDelayMax` (and by {@linkcode MAX_SECONDS}, the longest delay a
 * message can hold).
 *
 * @example
 * ```ts
 * import { retryDelayFor } from "./retry_delay.ts";
 * const policy = { retryDelay: 2, retryBackoff: 3, retryJitter: 0, retryDelayMax: 60 };
 * console.assert(retryDelayFor(policy, 1) === 2);
 * console.assert(retryDelayFor(policy, 3) === 18);
 * console.assert(retryDelayFor(policy, 5) === 60); // 162, capped
 * ```
 *
 * @param policy The task's retry settings.
 * @param attempt Which retry, from 1.
 * @param random A random number in `[0, 1)`, for the jitter. @default Math.random
 * @returns Seconds, `>= 0`.
 */
export function retryDelayFor(
  policy: RetryPolicy,
  attempt: number,
  random: () => number = Math.random,
): number {
  const { retryDelay, retryBackoff, retryJitter, retryDelayMax } = policy;
  let delay = retryDelay * retryBackoff ** Math.max(0, attempt - 1);
  if (retryJitter > 0) delay *= 1 - retryJitter + 2 * retryJitter * random();
  return Math.min(delay, retryDelayMax ?? MAX_SECONDS, MAX_SECONDS);
}
