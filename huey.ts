/**
 * `Huey`: the task queue. It registers task functions, turns calls into
 * messages in its storage, and runs them (`execute`) for the consumer. A
 * facade: the queue operations (`TaskQueue`), the execution (`Executor`),
 * the leases, revocations and locks are parts it builds and composes; its
 * bases hold revoking and locks (`HueyControls`, huey_controls.ts), what it
 * reads and writes in its storage directly (`HueyData`, huey_data.ts) and
 * its hooks and signal handlers (`HueyHooks`, huey_hooks.ts); its options
 * are in huey_options.ts.
 *
 * @module
 */
import { Chord, chord } from "./chord.ts";
import { enqueueChord, enqueueGroup } from "./chord_enqueue.ts";
import type { ChordResult } from "./chord_result.ts";
import { Consumer, type WorkerLogging } from "./consumer/supervisor.ts";
import type { ConsumerOptions } from "./consumer/options.ts";
import type { CrontabValidator } from "./crontab.ts";
import { ConfigurationError, type ErrorMetadata } from "./errors.ts";
import { assembleParts, type HueyParts } from "./assemble.ts";
import { HueyControls } from "./huey_controls.ts";
import {
  type DequeueTaskOptions,
  type ExecuteOptions,
  type HueyOptions,
  hueySettings,
  type RevokeTarget,
} from "./huey_options.ts";
import { buildErrorResult } from "./executor.ts";
import type { PostExecuteHook, PreExecuteHook, WorkerHook } from "./hooks.ts";
import type { Locks } from "./lock.ts";
import {
  type ContextTaskOptions,
  defineContextTask,
  defineTask,
  type TaskContext,
  type TaskDefinition,
  type TaskOptions,
  TaskRegistry,
} from "./registry.ts";
import { Result, ResultGroup } from "./result.ts";
import type { Failures } from "./failures.ts";
import type { Revocations } from "./revoke.ts";
import type { SerializerLike } from "./serializer.ts";
import type { Storage } from "./storage/base.ts";
import { MemoryStorage } from "./storage/memory.ts";
import { Task } from "./task.ts";
import { Group, group } from "./group.ts";
import { createTaskWrapper, type TaskWrapper } from "./wrapper.ts";
import { WORKER, type WorkerSide } from "./worker_side.ts";

export type { ContextTaskOptions, PostExecuteHook, PreExecuteHook, TaskContext, WorkerHook };
export type { DequeueTaskOptions, ExecuteOptions, HueyOptions, RevokeTarget };

/**
 * A task queue. Use a subclass that picks a storage (`SqliteHuey`,
 * `RedisHuey`, `MemoryHuey`, `FileHuey`), or pass `{ storage }`.
 *
 * @example
 * ```ts
 * import { MemoryHuey } from "./mod.ts";
 * const huey = new MemoryHuey("example");
 * const add = huey.task(function add(a: number, b: number) { return a + b; });
 * const result = await add(1, 2);
 * const task = await huey.dequeue();          // a worker's step
 * console.assert((await huey.execute(task!)) === 3);
 * console.assert((await result.get()) === 3);
 * ```
 */
export class Huey extends HueyControls {
  /** The queue's name. */
  readonly name: string;
  /** Whether results are stored. */
  readonly results: boolean;
  /** Whether periodic tasks are matched in UTC. */
  readonly utc: boolean;
  /** Whether messages are acknowledged after their outcome is stored. */
  readonly acks: boolean;
  /** Seconds a dequeued message stays leased. */
  readonly leaseTimeout: number;
  /** Turns values into bytes and back. */
  readonly serializer: SerializerLike;
  /** The registered tasks. */
  readonly registry: TaskRegistry = new TaskRegistry();
  /** Builds a group of tasks to run in parallel (the function `group()`). */
  readonly group: typeof group = group;
  /** Builds a chord: tasks in parallel, then a callback with their values (the function `chord()`). */
  readonly chord: typeof chord = chord;
  /** What a consumer's workers use beyond the public API. @internal */
  readonly [WORKER]: WorkerSide;
  #storage: Storage;
  #immediateStorage: Storage | null = null;
  #immediate = false;
  #immediateUseMemory: boolean;
  #parts: HueyParts;
  /** Runs a task at once (immediate mode's enqueue). */
  #runNow = (task: Task): Promise<unknown> => this.execute(task);

  /**
   * @param name The queue's name; hueys of the same name share a queue.
   * @param options See {@linkcode HueyOptions}.
   * @throws {ConfigurationError} No storage given, or an option has a bad
   *   value (the message names it, the value and what is allowed).
   */
  constructor(name = "huey", options: HueyOptions = {}) {
    super();
    const settings = hueySettings(name, options);
    const { results, utc, acks, leaseTimeout, serializer } = settings;
    this.name = name;
    this.results = results;
    this.utc = utc;
    this.acks = acks;
    this.leaseTimeout = leaseTimeout;
    this.serializer = serializer;
    this.#immediateUseMemory = settings.immediateUseMemory;
    this.#storage = this.createStorage(name, options);
    const parts: HueyParts = assembleParts({
      ...settings, // results, storeNone, utc, acks, leaseTimeout, serializer, ...
      name,
      storage: () => this.storage,
      registry: this.registry,
      signals: this.signals,
      preExecuteHooks: this.preExecuteHooks,
      postExecuteHooks: this.postExecuteHooks,
      enqueue: (task) => this.enqueue(task),
      requeue: (task) =>
        this.#parts.queue.requeue(task, this.#immediate ? this.#runNow : undefined),
      enqueueOnce: (marker, task, ttl) =>
        parts.queue.enqueueOnce(marker, task, ttl, this.#immediate ? this.#runNow : undefined),
      buildErrorResult: (task, error) => this.buildErrorResult(task, error),
    });
    this.#parts = parts;
    this[WORKER] = parts.worker;
    this.immediate = settings.immediate;
  }

  /**
   * Builds the storage; subclasses override it to build theirs from options.
   *
   * @throws {ConfigurationError} No `storage` option.
   */
  protected createStorage(_name: string, options: HueyOptions): Storage {
    if (!options.storage) {
      throw new ConfigurationError(
        "Huey needs a storage: pass { storage } or use SqliteHuey, RedisHuey, MemoryHuey or FileHuey",
      );
    }
    return options.storage;
  }

  /** The storage in use (an in-memory one in immediate mode, by default). */
  get storage(): Storage {
    return this.#immediateStorage ?? this.#storage;
  }

  /** The revocation keys, for the `HueyControls` members. */
  protected get revocations(): Revocations {
    return this.#parts.revocations;
  }
  /** The named locks, for the `HueyControls` members. */
  protected get locks(): Locks {
    return this.#parts.locks;
  }
  /** The failures, for the `HueyControls` members. */
  protected get failureList(): Failures {
    return this.#parts.failures;
  }
  /** Whether `undefined`/`null` results are stored. */
  get storeNone(): boolean {
    return this.#parts.executor.storeNone;
  }

  set storeNone(value: boolean) {
    this.#parts.executor.storeNone = value;
  }

  /** Whether tasks run at once in the caller instead of being enqueued. */
  get immediate(): boolean {
    return this.#immediate;
  }

  set immediate(value: boolean) {
    if (
      value === this.#immediate &&
      (this.#immediateStorage !== null) === (value && this.#immediateUseMemory)
    ) return;
    this.#immediate = value;
    this.#immediateStorage = value && this.#immediateUseMemory
      ? new MemoryStorage(this.name)
      : null;
  }

  // ---------------------------------------------------------------- tasks

  /**
   * Registers a task function. Calling the returned wrapper enqueues a call.
   *
   * @throws {ConfigurationError} The task has no name, or the name is taken.
   */
  task<A extends unknown[], R>(
    fn: (...args: [...A, Task]) => R,
    options: TaskOptions & { context: true },
  ): TaskWrapper<A, R, Huey>;
  task<A extends unknown[], R>(
    fn: (...args: A) => R,
    options?: TaskOptions,
  ): TaskWrapper<A, R, Huey>;
  task<A extends unknown[], R>(
    fn: (...args: A) => R,
    options: TaskOptions = {},
  ): TaskWrapper<A, R, Huey> {
    return this.#register<A, R>(defineTask(fn as (...args: never[]) => unknown, options));
  }

  /**
   * Registers a periodic task: the consumer enqueues it at every minute
   * `validate` accepts (e.g. a `crontab()`). With `context: true` it is
   * called with its running `Task`, as `task()`'s functions are.
   */
  periodicTask<R>(
    validate: CrontabValidator,
    fn: (task: Task) => R,
    options: TaskOptions & { context: true },
  ): TaskWrapper<[], R, Huey>;
  periodicTask<R>(
    validate: CrontabValidator,
    fn: () => R,
    options?: TaskOptions & { context?: false },
  ): TaskWrapper<[], R, Huey>;
  periodicTask<R>(
    validate: CrontabValidator,
    fn: (...args: never[]) => R,
    options: TaskOptions = {},
  ): TaskWrapper<[], R, Huey> {
    return this.#register<[], R>(defineTask(fn, options, validate));
  }

  /**
   * Registers a task whose every execution runs inside `context`: `enter()`
   * before, `exit(error?)` after, failed runs included.
   */
  contextTask<T, A extends unknown[], R>(
    context: TaskContext<T>,
    fn: (context: T, ...args: A) => R,
    options: ContextTaskOptions & { asArgument: true },
  ): TaskWrapper<A, R, Huey>;
  contextTask<A extends unknown[], R>(
    context: TaskContext<unknown>,
    fn: (...args: A) => R,
    options?: ContextTaskOptions,
  ): TaskWrapper<A, R, Huey>;
  contextTask<A extends unknown[], R>(
    context: TaskContext<unknown>,
    fn: (...args: unknown[]) => R,
    options: ContextTaskOptions = {},
  ): TaskWrapper<A, R, Huey> {
    return this.#register<A, R>(defineContextTask(context, fn, options));
  }

  #register<A extends unknown[], R>(definition: TaskDefinition): TaskWrapper<A, R, Huey> {
    this.registry.register(definition);
    return createTaskWrapper<A, R, Huey>(this, definition);
  }

  /** Removes a task from the registry; `true` when it was registered. */
  unregisterTask(name: string): boolean {
    return this.registry.unregister(name);
  }

  // ---------------------------------------------------------------- queue

  /**
   * Enqueues a task (in immediate mode: runs it now), or the members of a
   * group or chord.
   *
   * @returns For a task, its Result, or a group of the task and each
   *   pipeline stage; for a group, a result per member; for a chord, its
   *   `ChordResult`.
   */
  enqueue<R, T>(chord: Chord<R, T>): Promise<ChordResult<R, T>>;
  enqueue<T>(group: Group<T>): Promise<ResultGroup<T>>;
  enqueue<R>(task: Task<R>): Promise<Result<R> | ResultGroup>;
  async enqueue<R>(
    task: Task<R> | Group<R> | Chord<R>,
  ): Promise<Result<R> | ResultGroup | ChordResult<R>> {
    if (task instanceof Chord) return enqueueChord(this, task);
    if (task instanceof Group) return enqueueGroup(this, task);
    await this.#parts.queue.enqueue(task, this.#immediate ? this.#runNow : undefined);
    return this.resultFor(task);
  }

  /** Enqueues several tasks at once, in order. */
  async enqueueMany<R>(tasks: Task<R>[]): Promise<ResultGroup<R>> {
    await this.#parts.queue.enqueueMany(tasks, this.#immediate ? this.#runNow : undefined);
    return new ResultGroup(tasks.map((task) => new Result(this, task)));
  }

  /** The Result of a task; a group when the task has a pipeline. */
  resultFor<R>(task: Task<R>): Result<R> | ResultGroup {
    if (!task.next) return new Result(this, task);
    const results: Result[] = [];
    for (let stage: Task | null = task; stage; stage = stage.next) {
      results.push(new Result(this, stage));
    }
    return new ResultGroup(results);
  }

  /**
   * Takes the next task off the queue (leased until `execute()` acknowledges
   * it). Messages that cannot be decoded or name unknown tasks are moved to
   * the dead letters, and the next message is tried.
   *
   * @returns The task, or `null` when the queue is empty.
   */
  dequeue(options: DequeueTaskOptions = {}): Promise<Task | null> {
    return this.#parts.queue.dequeue(options.signal, false);
  }

  /**
   * Runs a task the way a worker does: the eta, revocation and expiry
   * checks, hooks, signals, result, retries and pipeline; then acknowledges
   * the message it came from.
   *
   * @returns The task's value, or `undefined` when it did not run or failed.
   */
  execute(task: Task, options: ExecuteOptions = {}): Promise<unknown> {
    return this.#parts.executor.execute(task, options.timestamp ?? new Date(), options.signal);
  }

  /**
   * Removes every scheduled task due at `timestamp` from the schedule and
   * resolves to them (huey's `read_schedule`); it does not enqueue them. A
   * message that cannot be decoded goes to the dead letters. The consumer's
   * scheduler moves due tasks to the queue with one atomic storage step
   * instead (`Storage.moveDue`).
   *
   * @example
   * ```ts
   * import { MemoryHuey } from "./mod.ts";
   * const huey = new MemoryHuey("stepping");
   * const ping = huey.task(function ping() { return "pong"; });
   * await ping.schedule({ delay: 60 });
   * await huey.execute((await huey.dequeue())!); // not due yet: it goes to the schedule
   * const due = await huey.readSchedule(new Date(Date.now() + 61_000));
   * for (const task of due) await huey.enqueue(task); // what a scheduler does
   * console.assert((await huey.pendingCount()) === 1);
   * ```
   */
  readSchedule(timestamp: Date = new Date()): Promise<Task[]> {
    return this.#parts.queue.readSchedule(timestamp);
  }

  /** New tasks of every periodic task whose schedule matches `timestamp`, in registration order. */
  readPeriodic(timestamp: Date = new Date()): Promise<Task[]> {
    return Promise.resolve(this.#parts.queue.readPeriodic(timestamp));
  }

  /** Whether a task may run at `timestamp` (it has no eta, or the eta has passed). */
  readyToRun(task: Task, timestamp: Date = new Date()): boolean {
    return task.eta === null || task.eta.getTime() <= timestamp.getTime();
  }

  /** A copy of a task with a new id, for `reschedule()`. */
  copyTask<R>(task: Task<R>): Task<R> {
    return new Task<R>({ ...task.toData(), id: undefined, trace: null });
  }

  // ---------------------------------------------------------------- results

  /** Reads a task's result by id (see `Result.get()` for the options). */
  result(id: string, options?: Parameters<Result["get"]>[0]): Promise<unknown> {
    return new Result(this, new Task({ id, name: "" })).get(options);
  }

  /**
   * The metadata stored for a failed task; override to add fields.
   *
   * @param task The task that failed.
   * @param error What it threw.
   */
  buildErrorResult(task: Task, error: unknown): ErrorMetadata {
    return buildErrorResult(task, error);
  }

  // ---------------------------------------------------------------- listing (decoded tasks)

  /** The waiting tasks, in dequeue order. */
  pending(options: { limit?: number } = {}): Promise<Task[]> {
    return this.#parts.queue.pending(options.limit);
  }
  /** The scheduled tasks, soonest first. */
  scheduled(options: { limit?: number } = {}): Promise<Task[]> {
    return this.#parts.queue.scheduled(options.limit);
  }

  /**
   * Puts a dead letter back on the queue with the priority in its message
   * (0 when the message cannot be decoded); `false` for an unknown id.
   */
  requeueDeadLetter(id: string): Promise<boolean> {
    return this.#parts.queue.requeueDeadLetter(id);
  }

  // ---------------------------------------------------------------- messages

  /**
   * The message bytes of a task.
   *
   * @throws {HueyError} A task of the pipeline (stages, error handlers) is not
   *   registered (no worker of this Huey could run it).
   */
  serializeTask(task: Task): Uint8Array {
    return this.#parts.queue.encode(task);
  }

  /**
   * The task in a message. Every field is checked (next stages and error
   * handlers too) before anything runs, so that a message that cannot run
   * here goes to the dead letters whole.
   *
   * @throws {HueyError} The bytes cannot be decoded, are not a task message
   *   (the reason names the field), or name a task this Huey does not know
   *   (the reason says where: `next stage of "a"`).
   */
  deserializeTask(data: Uint8Array): Task {
    return this.#parts.queue.decode(data);
  }

  /**
   * A consumer for this Huey (see `Consumer`). Thread and process workers
   * import your module themselves: pass `module: { url: import.meta.url }`.
   */
  createConsumer(options?: ConsumerOptions, logging?: WorkerLogging): Consumer {
    return new Consumer(this, options, logging);
  }

  /** Releases the storage's connections and files. */
  async close(): Promise<void> {
    await this.#parts.leases.close();
    await this.#immediateStorage?.close();
    await this.#storage.close();
  }

  /** Closes the Huey (for `await using`). */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
