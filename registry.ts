/**
 * The task registry: every task function a Huey knows, by name.
 *
 * @module
 */
import { checkBoolean, checkFunction, checkOption, checkText } from "./_options.ts";
import { ConfigurationError } from "./errors.ts";
import type { CrontabValidator } from "./crontab.ts";
import {
  type RateLimitSettings,
  type TaskRateLimitOptions,
  taskRateLimitSettings,
} from "./rate_limit.ts";
import { checkTaskSettings, Task } from "./task.ts";
import { uniqueId } from "./unique.ts";

/** Options of `huey.task()`: the defaults of every call of the task. */
export interface TaskOptions {
  /** The task's name in messages. @default fn.name */
  name?: string;
  /** Retries after a failure. @default 0 */
  retries?: number;
  /** Seconds before the first retry. @default 0 */
  retryDelay?: number;
  /** Each later retry waits this many times longer than the one before (>= 1). @default 1 */
  retryBackoff?: number;
  /** 0 to 1: each retry delay is multiplied by a random factor in `[1 - j, 1 + j]`. @default 0 */
  retryJitter?: number;
  /** The longest retry delay in seconds, applied after backoff and jitter. @default null (no cap) */
  retryDelayMax?: number | null;
  /** Higher runs first. */
  priority?: number;
  /** Pass the running `Task` as the last argument. @default false */
  context?: boolean;
  /** Seconds after enqueue (or a time) past which the task is dropped unrun. */
  expires?: number | Date;
  /** Seconds the task may run before it is stopped with `TaskTimeout`. */
  timeout?: number;
  /**
   * A fixed-window rate limit on its runs, shared by every consumer (see
   * `huey.rateLimit()`); its name defaults to the task's.
   */
  rateLimit?: TaskRateLimitOptions;
  /**
   * Each call's id is derived from the task's name and its arguments, and
   * enqueueing a call while one with the same id is pending, scheduled or
   * running enqueues nothing (docs/getting-started.md, "Unique tasks"). @default false
   */
  unique?: boolean;
}

/** A registered task function and its defaults. */
export interface TaskDefinition {
  /** The registered name. */
  readonly name: string;
  /** The function run by workers. */
  readonly fn: (...args: never[]) => unknown;
  /** Passes the running task as the last argument. */
  readonly context: boolean;
  /** For periodic tasks, the schedule. */
  readonly validate: CrontabValidator | null;
  /** Default retries. */
  readonly retries: number;
  /** Default seconds before the first retry. */
  readonly retryDelay: number;
  /** Default growth of the retry delay. */
  readonly retryBackoff: number;
  /** Default spread of the retry delays. */
  readonly retryJitter: number;
  /** Default cap of the retry delay. */
  readonly retryDelayMax: number | null;
  /** Default priority. */
  readonly priority: number | null;
  /** Default expiry. */
  readonly expires: number | Date | null;
  /** Default timeout in seconds. */
  readonly timeout: number | null;
  /** The rate limit on its runs, or `null`. */
  readonly rateLimit: RateLimitSettings | null;
  /** Calls get an id derived from their arguments, and are enqueued once. */
  readonly unique: boolean;
}

/** Options of `huey.contextTask()`. */
export interface ContextTaskOptions extends TaskOptions {
  /** Pass the context's value as the first argument. @default false */
  asArgument?: boolean;
}

/** A context that wraps every execution of a context task. */
export interface TaskContext<T> {
  /** Runs before the task; its value is passed with `asArgument`. */
  enter(): T | Promise<T>;
  /** Runs after the task, with the error when it failed. */
  exit(error?: unknown): void | Promise<void>;
}

/**
 * Builds the definition of a task whose every execution runs inside
 * `context`: `enter()` before, `exit(error?)` after, failed runs included.
 *
 * @throws {ConfigurationError} As {@linkcode defineTask}.
 */
export function defineContextTask<R>(
  context: TaskContext<unknown>,
  fn: (...args: unknown[]) => R,
  options: ContextTaskOptions,
): TaskDefinition {
  const { asArgument = false, ...taskOptions } = options;
  const inContext = async (...args: unknown[]): Promise<Awaited<R>> => {
    const value = await context.enter();
    let result: Awaited<R>;
    try {
      result = await fn(...(asArgument ? [value, ...args] : args));
    } catch (error) {
      await context.exit(error);
      throw error;
    }
    await context.exit();
    return result;
  };
  Object.defineProperty(inContext, "name", { value: fn.name });
  return defineTask(inContext, taskOptions);
}

/**
 * Builds a task definition from a function and options, checking both.
 *
 * @throws {ConfigurationError} `fn` or `validate` is not a function, the task
 *   has no name, or an option has a bad value (the message names it).
 */
export function defineTask(
  fn: (...args: never[]) => unknown,
  options: TaskOptions,
  validate: CrontabValidator | null = null,
): TaskDefinition {
  checkFunction("fn", fn);
  if (validate !== null) {
    checkOption(
      typeof validate === "function",
      "validate",
      validate,
      "a function such as crontab()",
    );
  }
  const {
    name = fn.name,
    retries = 0,
    retryDelay = 0,
    retryBackoff = 1,
    retryJitter = 0,
    retryDelayMax = null,
    priority,
    context = false,
    expires,
    timeout,
    rateLimit,
    unique = false,
  } = options;
  if (!name) {
    throw new ConfigurationError(
      "A task needs a name: use a named function or pass { name } to task()",
    );
  }
  checkText("name", name);
  checkBoolean("context", context);
  checkBoolean("unique", unique);
  checkOption(
    !(unique && validate !== null),
    "unique",
    unique,
    "false for a periodic task (the scheduler enqueues it once per matching minute already)",
  );
  checkTaskSettings({
    retries,
    retryDelay,
    retryBackoff,
    retryJitter,
    retryDelayMax,
    priority,
    timeout,
    expires,
  });
  return {
    name,
    fn,
    context,
    validate,
    retries,
    retryDelay,
    retryBackoff,
    retryJitter,
    retryDelayMax,
    priority: priority ?? null,
    expires: expires ?? null,
    timeout: timeout ?? null,
    rateLimit: rateLimit == null ? null : taskRateLimitSettings(name, rateLimit),
    unique,
  };
}

/** The tasks a Huey knows, in registration order. */
export class TaskRegistry {
  #tasks = new Map<string, TaskDefinition>();

  /**
   * Adds a task.
   *
   * @throws {ConfigurationError} A task of that name is registered already.
   */
  register(definition: TaskDefinition): void {
    if (this.#tasks.has(definition.name)) {
      throw new ConfigurationError(
        `A task named '${definition.name}' is already registered: pass a different { name }`,
      );
    }
    this.#tasks.set(definition.name, definition);
  }

  /** Removes a task; `true` when it was registered. */
  unregister(name: string): boolean {
    return this.#tasks.delete(name);
  }

  /** Whether a task of that name is registered. */
  has(name: string): boolean {
    return this.#tasks.has(name);
  }

  /** The task of that name, or `undefined`. */
  get(name: string): TaskDefinition | undefined {
    return this.#tasks.get(name);
  }

  /** Every periodic task, in registration order. */
  periodic(): TaskDefinition[] {
    return [...this.#tasks.values()].filter((definition) => definition.validate !== null);
  }

  /** Every registered name. */
  names(): string[] {
    return [...this.#tasks.keys()];
  }
}

/**
 * A new task (new id) of a registered definition, with its defaults.
 *
 * @param definition The registered task.
 * @param args The call's arguments.
 */
export function newTask<R>(definition: TaskDefinition, args: unknown[]): Task<R> {
  return new Task<R>({
    id: definition.unique ? uniqueId(definition.name, args) : undefined,
    unique: definition.unique,
    name: definition.name,
    args,
    retries: definition.retries,
    retryDelay: definition.retryDelay,
    retryBackoff: definition.retryBackoff,
    retryJitter: definition.retryJitter,
    retryDelayMax: definition.retryDelayMax,
    priority: definition.priority,
    expires: definition.expires,
    timeout: definition.timeout,
  });
}
