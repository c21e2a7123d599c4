/**
 * `RateLimit`: a fixed-window rate limit shared by every producer and
 * consumer of one storage (huey 3.3's `RateLimit`). Each window has its own
 * counter, `rl:<name>:<window>`, raised with one atomic `Storage.incr` that
 * also sets its expiry: no window key to compare and reset, so no race at
 * the rollover (huey keeps the window in a second key).
 *
 * @module
 */
import { checkBoolean, checkNumber, checkOption, checkText } from "./_options.ts";
import { RateLimitExceeded } from "./errors.ts";
import { getLogger } from "./logger.ts";
import type { Storage } from "./storage/base.ts";
import type { Task } from "./task.ts";

/** Options of `huey.rateLimit()`. */
export interface RateLimitOptions {
  /** How many acquisitions a window allows (a whole number >= 1). */
  limit: number;
  /** The window's length in seconds (> 0). */
  per: number;
  /**
   * A task that hits the limit is rescheduled for the next window without
   * using up a retry (even a task without retries); `false`: the hit is an
   * ordinary failure, and the task's retries apply.
   * @default true
   */
  retry?: boolean;
}

/** The `rateLimit` option of `huey.task()`. */
export interface TaskRateLimitOptions extends RateLimitOptions {
  /**
   * The rate limit's name: tasks (and `huey.rateLimit()` limiters) of one
   * name share its windows.
   * @default the task's name
   */
  name?: string;
}

/** A rate limit's checked settings. */
export interface RateLimitSettings {
  /** The rate limit's name. */
  readonly name: string;
  /** Acquisitions per window. */
  readonly limit: number;
  /** The window's length in seconds. */
  readonly per: number;
  /** Whether a task that hits the limit is rescheduled for the next window. */
  readonly retry: boolean;
}

const logger = getLogger("huey");

/**
 * Checks a rate limit's options.
 *
 * @param name The rate limit's name.
 * @param options `limit`, `per`, `retry`.
 * @returns The settings, `retry` filled in.
 * @throws {ConfigurationError} `name` is empty, `limit` is not a whole number
 *   >= 1, `per` is not a number > 0, or `retry` is not a boolean (the
 *   message names the option and the value).
 */
export function rateLimitSettings(name: string, options: RateLimitOptions): RateLimitSettings {
  checkOption(
    typeof options === "object" && options !== null,
    "rateLimit",
    options,
    "an object { limit, per, retry? }",
  );
  const { limit, per, retry = true } = options;
  checkText("rateLimit name", name);
  checkOption(
    Number.isSafeInteger(limit) && limit >= 1,
    "limit",
    limit,
    "a whole number >= 1",
  );
  checkNumber("per", per, "> 0");
  checkBoolean("retry", retry);
  return { name, limit, per, retry };
}

/**
 * Checks the `rateLimit` option of a task.
 *
 * @param taskName The task's name: the rate limit's, unless it has its own.
 * @param options `limit`, `per`, `retry`, `name`.
 * @throws {ConfigurationError} As {@linkcode rateLimitSettings}.
 */
export function taskRateLimitSettings(
  taskName: string,
  options: TaskRateLimitOptions,
): RateLimitSettings {
  const named = typeof options === "object" && options !== null && options.name !== undefined;
  return rateLimitSettings(named ? options.name! : taskName, options);
}

/**
 * A fixed-window rate limit: at most `limit` acquisitions per window of
 * `per` seconds, counted in the storage, so shared by every Huey (producer
 * or consumer, any process) of that storage. Windows are aligned on the
 * epoch (`floor(now / per)`), as huey's; each one's counter expires by
 * itself.
 *
 * Use it as a wrapper (`wrap()`), by hand (`acquire()`), or with
 * `await using`: `await using _slot = await limit.acquire();` takes a slot
 * for the block. A window's slot is used once taken: leaving the block gives
 * nothing back (there is nothing to release in a fixed window).
 *
 * @example
 * ```ts
 * import { MemoryHuey, RateLimitExceeded } from "./mod.ts";
 * const huey = new MemoryHuey("rates");
 * const limit = huey.rateLimit("mailer", { limit: 2, per: 60 });
 * const send = limit.wrap(async (to: string) => `sent to ${to}`);
 * await send("a@example.com");
 * {
 *   await using _slot = await limit.acquire();
 * }
 * try {
 *   await send("c@example.com"); // the third call in the window
 * } catch (error) {
 *   console.assert(error instanceof RateLimitExceeded && error.delay <= 60);
 * }
 * ```
 */
export class RateLimit {
  /** The rate limit's name. */
  readonly name: string;
  /** Acquisitions per window. */
  readonly limit: number;
  /** The window's length in seconds. */
  readonly per: number;
  /** Whether a task that hits the limit is rescheduled for the next window. */
  readonly retry: boolean;
  #storage: () => Storage;

  /**
   * @param storage Gives the storage that holds the counters (`huey.rateLimit()` passes the Huey's).
   * @param name The rate limit's name.
   * @param options `limit`, `per`, `retry`.
   * @throws {ConfigurationError} As {@linkcode rateLimitSettings}.
   */
  constructor(storage: () => Storage, name: string, options: RateLimitOptions) {
    const settings = rateLimitSettings(name, options);
    this.name = settings.name;
    this.limit = settings.limit;
    this.per = settings.per;
    this.retry = settings.retry;
    this.#storage = storage;
  }

  /**
   * Takes a slot in the current window.
   *
   * @returns This rate limit (for `await using`).
   * @throws {RateLimitExceeded} The window is full; `delay` is the seconds
   *   until it resets.
   */
  async acquire(): Promise<this> {
    const now = Date.now();
    const window = this.#window(now);
    const count = await this.#storage().incr(this.#key(window), 1, { ttl: this.per });
    if (count > this.limit) {
      const delay = ((window + 1) * this.per * 1000 - now) / 1000;
      throw new RateLimitExceeded(this.name, delay, { retry: this.retry });
    }
    return this;
  }

  /** How many slots of the current window are taken. */
  async usage(): Promise<number> {
    return await this.#storage().incr(this.#key(this.#window(Date.now())), 0, { ttl: this.per });
  }

  /** Empties the current window: every slot is free again. */
  async reset(): Promise<void> {
    await this.#storage().deleteCounter(this.#key(this.#window(Date.now())));
  }

  /**
   * Wraps a function so that every call first takes a slot.
   *
   * @returns A function that rejects with {@linkcode RateLimitExceeded}
   *   (without calling `fn`) when the window is full.
   */
  wrap<A extends unknown[], T>(fn: (...args: A) => T | Promise<T>): (...args: A) => Promise<T> {
    const wrapped = async (...args: A): Promise<T> => {
      await this.acquire();
      return await fn(...args);
    };
    Object.defineProperty(wrapped, "name", { value: fn.name });
    return wrapped;
  }

  /** Nothing to give back: a slot of a fixed window stays used (for `await using`). */
  [Symbol.asyncDispose](): Promise<void> {
    return Promise.resolve();
  }

  #window(now: number): number {
    return Math.floor(now / (this.per * 1000));
  }

  #key(window: number): string {
    return `rl:${this.name}:${window}`;
  }
}

/**
 * Where a task that hit a rate limit goes next, as huey 3.3: with `retry`,
 * the next window, and the retry it is given back is not used up; without
 * it, an ordinary failure whose retry (if any) waits the task's
 * `retryDelay`, or for the next window when it has none.
 *
 * @param task The task (its `retries` are raised by one with `retry`).
 * @param error What its run threw.
 * @returns The eta of the retry, or `null` for the task's own retry delay.
 */
export function rateLimitedRetry(task: Task, error: RateLimitExceeded): Date | null {
  const nextWindow = new Date(Date.now() + error.delay * 1000);
  if (error.retry) {
    task.retries += 1;
    logger.info(
      `Task ${task.id} rate-limited on "${error.key}", retrying in ${error.delay.toFixed(3)}s`,
    );
    return nextWindow;
  }
  logger.info(`Task ${task.id} rate-limited on "${error.key}"`);
  return task.retryDelay ? null : nextWindow;
}
