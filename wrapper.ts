/**
 * `TaskWrapper`: what `huey.task()` returns — call it to enqueue.
 *
 * @module
 */
import { ConfigurationError } from "./errors.ts";
import { newTask, type TaskDefinition } from "./registry.ts";
import type { Result, ResultGroup } from "./result.ts";
import type { IsRevokedOptions, RevokeOptions } from "./revoke.ts";
import type { Task } from "./task.ts";
import { resolveEta } from "./time.ts";

/**
 * The argument list `Args` or any list of its first arguments: `[a, b]`
 * gives `[a, b] | [a] | []` (a pipeline stage leaves out what the previous
 * stage's value supplies).
 */
export type ArgsPrefix<Args extends unknown[]> = Args extends [...infer Head, unknown]
  ? Args | ArgsPrefix<Head>
  : Args;

/** Options of {@linkcode TaskWrapper.schedule}. */
export interface ScheduleOptions<Args extends unknown[]> {
  /** The call's arguments. @default [] */
  args?: Args;
  /** Run this many seconds from now. */
  delay?: number;
  /** Run at this time. */
  eta?: Date;
  /** Replaces the task's priority. */
  priority?: number;
  /** Replaces the task's retries. */
  retries?: number;
  /** Replaces the task's retry delay. */
  retryDelay?: number;
  /** Replaces the task's retry backoff. */
  retryBackoff?: number;
  /** Replaces the task's retry jitter. */
  retryJitter?: number;
  /** Replaces the task's longest retry delay. */
  retryDelayMax?: number | null;
  /** Replaces the task's expiry. */
  expires?: number | Date;
  /** Sets the task's id. */
  id?: string;
}

/**
 * What a task wrapper asks of the Huey it belongs to.
 *
 * @internal A Huey is one; the type of `TaskWrapper.huey` by default.
 */
export interface TaskHost {
  /** Enqueues a task. */
  enqueue(task: Task): Promise<Result | ResultGroup>;
  /** Enqueues several tasks at once. */
  enqueueMany(tasks: Task[]): Promise<ResultGroup>;
  /** Revokes every call of a task. */
  revokeAll(wrapper: AnyTaskWrapper, options?: RevokeOptions): Promise<void>;
  /** Lifts the revocation of a whole task. */
  restoreAll(wrapper: AnyTaskWrapper): Promise<boolean>;
  /** Whether a whole task is revoked. */
  isRevoked(wrapper: AnyTaskWrapper, options?: IsRevokedOptions): Promise<boolean>;
  /** Removes a task from the registry. */
  unregisterTask(name: string): boolean;
}

/**
 * A registered task function. Calling it enqueues a task and resolves to its
 * `Result`; `Args` are the function's arguments and `R` its return type.
 *
 * @example
 * ```ts
 * import { MemoryHuey } from "./mod.ts";
 * const huey = new MemoryHuey();
 * const greet = huey.task(function greet(name: string) { return `hello ${name}`; });
 * const result = await greet("world");       // enqueued
 * await huey.execute((await huey.dequeue())!); // what a worker does
 * console.assert((await result.get()) === "hello world");
 * ```
 */
export interface TaskWrapper<
  Args extends unknown[] = unknown[],
  R = unknown,
  H extends TaskHost = TaskHost,
> {
  /** Enqueues a call with these arguments. */
  (...args: Args): Promise<Result<Awaited<R>>>;
  /** The registered name. */
  readonly name: string;
  /** The Huey the task belongs to. */
  readonly huey: H;
  /** The registered definition (function and defaults). */
  readonly definition: TaskDefinition;
  /**
   * Enqueues a call to run later, with per-call options.
   *
   * @throws {ConfigurationError} Neither or both of `eta` and `delay` given, or an option has a bad value.
   */
  schedule(options: ScheduleOptions<Args>): Promise<Result<Awaited<R>>>;
  /**
   * Builds a task for a call without enqueueing it (for pipelines and
   * `enqueue`). A pipeline stage may leave out its last arguments: the
   * previous stage's value fills them in.
   */
  s(...args: ArgsPrefix<Args>): Task<Awaited<R>>;
  /**
   * Enqueues one call per item: an array item is spread as the arguments,
   * anything else is the one argument.
   */
  map(items: Iterable<Args | Args[0]>): Promise<ResultGroup<Awaited<R>>>;
  /** Calls the function here, now, without the queue. */
  callLocal(...args: Args): R;
  /** Revokes every call of this task (persistently unless `revokeOnce`). */
  revoke(options?: RevokeOptions): Promise<void>;
  /** Lifts a revocation of this task; `true` when there was one. */
  restore(): Promise<boolean>;
  /** Whether this task is revoked as a whole. */
  isRevoked(options?: IsRevokedOptions): Promise<boolean>;
  /** Removes the task from the registry; `true` when it was registered. */
  unregister(): boolean;
}

/**
 * Builds the callable wrapper of a registered task.
 *
 * @internal Used by `Huey.task()`.
 */
export function createTaskWrapper<Args extends unknown[], R, H extends TaskHost>(
  huey: H,
  definition: TaskDefinition,
): TaskWrapper<Args, R, H> {
  type Wrapper = TaskWrapper<Args, R, H>;
  const build = (args: unknown[]): Task<Awaited<R>> => newTask<Awaited<R>>(definition, args);
  const s = (...args: ArgsPrefix<Args>): Task<Awaited<R>> => build(args);
  const wrapper =
    ((...args: Args) => huey.enqueue(build(args)) as Promise<Result<Awaited<R>>>) as Wrapper;
  const methods: Omit<Wrapper, "name" | "huey" | "definition" | never> = {
    s,
    schedule(options: ScheduleOptions<Args>): Promise<Result<Awaited<R>>> {
      const { args = [] as unknown as Args, delay, eta, id, ...rest } = options;
      if (delay === undefined && eta === undefined) {
        throw new ConfigurationError("schedule() needs an eta (a Date) or a delay (seconds)");
      }
      const task = build(args).withOptions({ ...rest, id });
      task.eta = resolveEta(eta, delay);
      return huey.enqueue(task) as Promise<Result<Awaited<R>>>;
    },
    map(items: Iterable<Args | Args[0]>): Promise<ResultGroup<Awaited<R>>> {
      const tasks = [...items].map((item) => build(Array.isArray(item) ? item : [item]));
      return huey.enqueueMany(tasks) as Promise<ResultGroup<Awaited<R>>>;
    },
    callLocal: (...args: Args): R => (definition.fn as (...args: Args) => R)(...args),
    revoke: (options?: RevokeOptions) => huey.revokeAll(wrapper, options),
    restore: () => huey.restoreAll(wrapper),
    isRevoked: (options?: IsRevokedOptions) => huey.isRevoked(wrapper, options),
    unregister: () => huey.unregisterTask(definition.name),
  };
  Object.assign(wrapper, methods);
  Object.defineProperty(wrapper, "name", { value: definition.name });
  Object.defineProperty(wrapper, "huey", { value: huey });
  Object.defineProperty(wrapper, "definition", { value: definition });
  return wrapper;
}

/**
 * Whether a value is a task wrapper.
 *
 * @internal
 */
export function isTaskWrapper(value: unknown): value is AnyTaskWrapper {
  return typeof value === "function" && "definition" in value && "s" in value;
}

/** Any task wrapper, whatever its argument and result types. */
export type AnyTaskWrapper = TaskWrapper<never, unknown>;
