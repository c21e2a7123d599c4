/**
 * `Task`: one call of a task function, as it travels through the queue —
 * its id, arguments, timing, retries and pipeline.
 *
 * @module
 */
import { checkDate, checkInteger, checkNumber, checkOption, checkText } from "./_options.ts";
import { recordProgress } from "./progress.ts";
import { checkSeconds, MAX_TIMEOUT_SECONDS, resolveEta } from "./time.ts";
import { checkRetryPolicy, retryFields } from "./retry_delay.ts";
import type { TraceContext } from "./trace_context.ts";
import { NOT_RUNNING, RUN_STOP, type RunStop } from "./run_stop.ts";

/** Anything `chain()` and `onError()` accept: a task wrapper (called with the args) or a built task. */
export interface TaskSource {
  /** Builds a task from arguments (a `TaskWrapper`); `never` lets any wrapper fit. */
  s(...args: never): Task;
}

/** Options of {@linkcode Task.withOptions}; each one given replaces the task's own. */
export interface TaskOptionsUpdate {
  /** Higher runs first. */
  priority?: number | null;
  /** Seconds from enqueue, or a time, after which the task is dropped unrun. */
  expires?: number | Date | null;
  /** Run at this time. */
  eta?: Date | null;
  /** Run this many seconds from now (fixed when `withOptions` is called). */
  delay?: number;
  /** How many times to retry after a failure. */
  retries?: number;
  /** Seconds to wait before each retry. */
  retryDelay?: number;
  /** Each retry waits this many times longer than the one before. */
  retryBackoff?: number;
  /** 0 to 1: each retry delay is multiplied by a random factor in `[1 - j, 1 + j]`. */
  retryJitter?: number;
  /** The longest retry delay in seconds (`null`: no cap). */
  retryDelayMax?: number | null;
  /**
   * The task's id (choose your own, e.g. for idempotency): it makes the task
   * unique, so enqueueing it while one with this id is pending, scheduled or
   * running enqueues nothing.
   */
  id?: string;
  /** Seconds the task may run before it is stopped with `TaskTimeout`. */
  timeout?: number | null;
}

/** The fields of a task, as stored in a message (see docs/wire-format.md). */
export interface TaskData {
  /** Unique id; also the key of the task's result. */
  id: string;
  /** The registered task name. */
  name: string;
  /** The call's arguments. */
  args: unknown[];
  /** When to run, or `null` for now. */
  eta: Date | null;
  /** Retries left. */
  retries: number;
  /** Seconds between retries. */
  retryDelay: number;
  /** Growth of the retry delay at each retry; absent: 1. */
  retryBackoff?: number;
  /** Spread of the retry delays, 0 to 1; absent: 0. */
  retryJitter?: number;
  /** Cap of the retry delay in seconds; absent: `null` (none). */
  retryDelayMax?: number | null;
  /** Retries done so far (the backoff's exponent); absent: 0. */
  retried?: number;
  /** Higher runs first; `null` is 0. */
  priority: number | null;
  /** Relative seconds or an absolute time after which the task is dropped. */
  expires: number | Date | null;
  /** The absolute expiry, resolved at every enqueue. */
  expiresResolved: Date | null;
  /** Seconds the task may run. */
  timeout: number | null;
  /** The next stage of the pipeline. */
  onComplete: TaskData | null;
  /** The error handler. */
  onError: TaskData | null;
  /** Enqueued once per id (absent: `false`). */
  unique?: boolean;
  /** The chord this task ends a member of (absent from most messages: `null`). */
  chord?: ChordMembership | null;
  /** The W3C trace context of the send span (absent while tracing is off: `null`). */
  trace?: TraceContext | null;
}

/**
 * A task's place in a chord, carried by the last stage of each member: the
 * chord's id and size, the member's index, and the callback to enqueue once
 * every member has finished (see chord_completion.ts).
 */
export interface ChordMembership {
  /** The chord's id (one per enqueued chord). */
  readonly id: string;
  /** How many members the chord has. */
  readonly size: number;
  /** This member's position, from 0: where its outcome goes in the callback's list. */
  readonly index: number;
  /** The callback (and its pipeline), as it goes into a message. */
  readonly callback: TaskData;
}

/**
 * One call of a task function. Built by calling a `TaskWrapper` (which also
 * enqueues it) or by `wrapper.s(...args)` (which does not).
 *
 * The type parameter `R` is what the function resolves to.
 *
 * @example
 * ```ts
 * import { MemoryHuey } from "./mod.ts";
 * const huey = new MemoryHuey();
 * const add = huey.task(function add(a: number, b: number) { return a + b; });
 * const task = add.s(1, 2).chain(add, 10); // add(1, 2), then add(10, 3)
 * console.assert(task.next?.name === "add");
 * ```
 */
export class Task<R = unknown> {
  /** Unique id; also the key of the task's result. */
  id: string;
  /** The registered task name. */
  readonly name: string;
  /** The call's arguments. */
  args: unknown[];
  /** When to run, or `null` for now. */
  eta: Date | null;
  /** Retries left. */
  retries: number;
  /** Seconds before the first retry. */
  retryDelay: number;
  /** Each later retry waits this many times longer than the one before. @default 1 */
  retryBackoff: number;
  /** 0 to 1: each retry delay is multiplied by a random factor in `[1 - j, 1 + j]`. @default 0 */
  retryJitter: number;
  /** The longest retry delay in seconds, applied last; `null`: no cap. @default null */
  retryDelayMax: number | null;
  /** Retries done so far: retry `retried + 1` waits `retryDelay * retryBackoff ** retried`. */
  retried: number;
  /** Higher runs first; `null` is 0. */
  priority: number | null;
  /** Relative seconds or an absolute time after which the task is dropped unrun. */
  expires: number | Date | null;
  /** The absolute expiry, resolved at every enqueue. */
  expiresResolved: Date | null;
  /** Seconds the task may run before it is stopped. */
  timeout: number | null;
  /** The next stage of the pipeline, or `null`. */
  next: Task | null;
  /** The task enqueued when this one fails for good, or `null`. */
  errorHandler: Task | null;
  /** The chord this task ends a member of, or `null`. */
  chord: ChordMembership | null;
  /** Enqueued once per id: while it is pending, scheduled or running, enqueueing it again does nothing. */
  unique: boolean;
  /** The W3C trace context the message carries (tracing.ts), or `null`. */
  trace: TraceContext | null;
  declare readonly __result?: R;
  /** The stop of its run while it runs (`invoke.ts`), else `null`. */
  [RUN_STOP]: RunStop | null;

  /** Aborted when the running task must stop (timeout, consumer shutdown). */
  get signal(): AbortSignal {
    return this[RUN_STOP]?.signal ?? NOT_RUNNING;
  }

  /**
   * @param data The task's fields; `id` defaults to a new UUID.
   */
  constructor(data: Partial<TaskData> & { name: string }) {
    this.id = data.id ?? crypto.randomUUID();
    this.name = data.name;
    this.args = data.args ?? [];
    this.eta = data.eta ?? null;
    this.retries = data.retries ?? 0;
    this.retryDelay = data.retryDelay ?? 0;
    this.retryBackoff = data.retryBackoff ?? 1;
    this.retryJitter = data.retryJitter ?? 0;
    this.retryDelayMax = data.retryDelayMax ?? null;
    this.retried = data.retried ?? 0;
    this.priority = data.priority ?? null;
    this.expires = data.expires ?? null;
    this.expiresResolved = data.expiresResolved ?? null;
    this.timeout = data.timeout ?? null;
    this.next = data.onComplete ? Task.fromData(data.onComplete) : null;
    this.errorHandler = data.onError ? Task.fromData(data.onError) : null;
    this.chord = data.chord ?? null;
    this.unique = data.unique ?? false;
    this.trace = data.trace ?? null;
    this[RUN_STOP] = null;
  }

  /** Rebuilds a task (and its pipeline) from its message fields. */
  static fromData(data: TaskData): Task {
    return new Task(data);
  }

  /** The task's fields (and its pipeline's), as they go into a message. */
  toData(): TaskData {
    const data: TaskData = {
      id: this.id,
      name: this.name,
      args: this.args,
      eta: this.eta,
      retries: this.retries,
      retryDelay: this.retryDelay,
      ...retryFields(this),
      priority: this.priority,
      expires: this.expires,
      expiresResolved: this.expiresResolved,
      timeout: this.timeout,
      onComplete: this.next?.toData() ?? null,
      onError: this.errorHandler?.toData() ?? null,
    };
    if (this.chord !== null) data.chord = this.chord;
    if (this.unique) data.unique = true;
    if (this.trace !== null) data.trace = this.trace;
    return data;
  }

  /**
   * Appends a stage to the end of the pipeline: it runs after this task (and
   * the stages before it) succeeds, called with `args` followed by the
   * previous stage's value.
   *
   * @param source A task wrapper (called as `source.s(...args)`) or a built task (whose args are extended).
   * @param args Arguments of the new stage.
   * @returns This task.
   */
  chain(source: TaskSource | Task, ...args: unknown[]): this {
    const stage = toTask(source, args);
    if (this.next) this.next.chain(stage);
    else this.next = stage;
    return this;
  }

  /**
   * Sets the task run when this one fails for good (no retry follows), called
   * with `args` followed by the error. Called again, it sets the handler's own handler.
   *
   * @param source A task wrapper or a built task.
   * @param args Arguments of the handler.
   * @returns This task.
   */
  onError(source: TaskSource | Task, ...args: unknown[]): this {
    const handler = toTask(source, args);
    if (this.errorHandler) this.errorHandler.onError(handler);
    else this.errorHandler = handler;
    return this;
  }

  /**
   * Sets options on this task (a `delay` is turned into an eta now).
   *
   * @param options The options to set.
   * @returns This task.
   * @throws {ConfigurationError} An option has a bad value, or both `delay` and `eta` are given.
   */
  withOptions(options: TaskOptionsUpdate): this {
    const { delay, eta, ...rest } = options;
    checkTaskSettings(rest);
    if (rest.id !== undefined) checkText("id", rest.id);
    if (delay !== undefined || eta !== undefined) this.eta = resolveEta(eta, delay);
    for (const [key, value] of Object.entries(rest)) {
      if (value !== undefined) (this as Record<string, unknown>)[key] = value;
    }
    if (rest.id !== undefined) this.unique = true;
    return this;
  }

  /**
   * Records the progress of this task while it runs (a task registered with
   * `context: true` receives its `Task` as the last argument), replacing
   * the last one: `result.progress()` reads it, during the run and after.
   *
   * @param value Any value the serializer takes (a number, an object...).
   * @throws {HueyError} The task is not running in `execute()` (a worker).
   */
  progress(value: unknown): Promise<void> {
    return recordProgress(this, value);
  }

  /** `name: id`, plus the eta and priority when set. */
  toString(): string {
    let text = `${this.name}: ${this.id}`;
    if (this.eta) text += ` @${this.eta.toISOString()}`;
    if (this.priority) text += ` p=${this.priority}`;
    if (this.retries) text += ` ${this.retries} retries`;
    return text;
  }
}

/**
 * Checks a task's settings, wherever they are given (`task()`, `withOptions()`, `schedule()`).
 *
 * @throws {ConfigurationError} A setting has a bad value; the message names it.
 */
export function checkTaskSettings(
  settings: Partial<
    Pick<
      TaskData,
      | "retries"
      | "retryDelay"
      | "retryBackoff"
      | "retryJitter"
      | "retryDelayMax"
      | "priority"
      | "timeout"
      | "expires"
    >
  >,
): void {
  const { retries, retryDelay, priority, timeout, expires } = settings;
  checkRetryPolicy(settings);
  if (retries != null) checkInteger("retries", retries, 0);
  if (retryDelay != null) {
    checkNumber("retryDelay", retryDelay, ">= 0");
    checkSeconds(retryDelay, "retryDelay");
  }
  if (priority != null) checkNumber("priority", priority);
  if (timeout != null) {
    checkOption(
      typeof timeout === "number" && timeout > 0 && timeout <= MAX_TIMEOUT_SECONDS,
      "timeout",
      timeout,
      `a number of seconds > 0 and at most ${MAX_TIMEOUT_SECONDS} (a timer's longest delay)`,
    );
  }
  if (expires instanceof Date) checkDate("expires", expires);
  else if (expires != null) checkSeconds(expires, "expires");
}

/**
 * The task a `chain()` or `onError()` argument stands for: a wrapper called
 * as `source.s(...args)`, or a built task with `args` appended to its own.
 *
 * @param source A task wrapper or a built task.
 * @param args Arguments for it.
 * @returns The task.
 */
export function toTask(source: TaskSource | Task, args: unknown[]): Task {
  if (source instanceof Task) {
    source.args = [...source.args, ...args];
    return source;
  }
  return source.s(...(args as never));
}
