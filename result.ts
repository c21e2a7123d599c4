/**
 * `Result` and `ResultGroup`: handles on the outcome of enqueued tasks.
 *
 * @module
 */
import { ConfigurationError, type ErrorMetadata, ResultTimeout, TaskError } from "./errors.ts";
import { progressKey } from "./progress.ts";
import type { RevokeOptions } from "./revoke.ts";
import type { SerializerLike } from "./serializer.ts";
import type { Storage } from "./storage/base.ts";
import type { Task } from "./task.ts";
import { sleep } from "./_runtime.ts";
import { resolveEta } from "./time.ts";

/** Options of {@linkcode Result.get}. */
export interface GetOptions {
  /** Wait until the result is ready. @default false */
  blocking?: boolean;
  /** Seconds to wait when blocking; 0 or undefined waits forever. */
  timeout?: number;
  /** Each wait between polls is this many times longer than the last. @default 1.15 */
  backoff?: number;
  /** The longest wait between polls, in seconds. @default 1.0 */
  maxDelay?: number;
  /** Revoke the task (once) when the wait times out. @default false */
  revokeOnTimeout?: boolean;
  /** Leave the result in storage (reads are destructive otherwise). @default false */
  preserve?: boolean;
  /** Stops a blocking wait; `get()` then rejects with the signal's reason. */
  signal?: AbortSignal;
}

/** Options of {@linkcode Result.reschedule}. */
export interface RescheduleOptions {
  /** Run at this time. */
  eta?: Date;
  /** Run this many seconds from now. */
  delay?: number;
  /** Replace the expiry. */
  expires?: number | Date;
  /** Replace the priority. */
  priority?: number;
}

/** Options of {@linkcode Result.revoke}. */
export interface ResultRevokeOptions {
  /** Skip only the next execution. @default true, or false when `revokeUntil` is given */
  revokeOnce?: boolean;
  /** Revoke until this time. */
  revokeUntil?: Date;
}

/**
 * What a Result asks of the Huey that enqueued its task.
 *
 * @internal A Huey is one.
 */
export interface ResultHost {
  /** The queue's name (for the error when results are off). */
  readonly name: string;
  /** Whether results are stored. */
  readonly results: boolean;
  /** Turns the stored bytes back into the value. */
  readonly serializer: SerializerLike;
  /** Reads a value's bytes (and removes it unless `peek`). */
  getRaw(key: string, options: { peek?: boolean }): Promise<Uint8Array | null>;
  /** Revokes one task. */
  revoke(task: Task, options?: RevokeOptions): Promise<void>;
  /** Lifts the revocation of one task. */
  restore(task: Task): Promise<boolean>;
  /** Whether a task is revoked. */
  isRevoked(task: Task, options?: { peek?: boolean }): Promise<boolean>;
  /** A copy of a task with a new id. */
  copyTask<R>(task: Task<R>): Task<R>;
  /** Enqueues a task. */
  enqueue<R>(task: Task<R>): Promise<Result<R> | ResultGroup>;
  /** The storage: a blocking `get()` waits with its `waitForData` when it has one. */
  readonly storage?: Pick<Storage, "waitForData">;
}

const EMPTY: unique symbol = Symbol("empty");

/**
 * Whether a Result has read its task's value (a stored `null` included,
 * which `get()` alone cannot tell from "not ready"). Set by `Result`'s
 * static block, for `ResultGroup.asCompleted()`.
 */
let hasValue: (result: Result) => boolean;

/**
 * The stored failure of a task as a `TaskError`, or `null` for a value. A
 * serializer may give back a plain `Error` named `TaskError` that carries
 * the metadata: it is rebuilt.
 */
function asTaskError(value: unknown): TaskError | null {
  if (value instanceof TaskError) return value;
  if (value instanceof Error && value.name === "TaskError" && "metadata" in value) {
    return new TaskError(value.metadata as ErrorMetadata);
  }
  return null;
}

/**
 * The outcome of one enqueued task. `get()` resolves to its return value once
 * a worker ran it, and rejects with `TaskError` when it failed. Not thenable:
 * await `get()`.
 *
 * @example
 * ```ts
 * import { MemoryHuey } from "./mod.ts";
 * const huey = new MemoryHuey("example", { immediate: true });
 * const add = huey.task(function add(a: number, b: number) { return a + b; });
 * const result = await add(1, 2);
 * console.assert((await result.get()) === 3);
 * ```
 */
export class Result<R = unknown> {
  /** The task this result belongs to. */
  readonly task: Task<R>;
  #huey: ResultHost;
  #value: R | typeof EMPTY = EMPTY;

  static {
    hasValue = (result) => result.#value !== EMPTY;
  }

  /**
   * @param huey The Huey that ran the task.
   * @param task The task.
   */
  constructor(huey: ResultHost, task: Task<R>) {
    this.#huey = huey;
    this.task = task;
  }

  /** The task's id, which is also the key of its result. */
  get id(): string {
    return this.task.id;
  }

  /**
   * The task's return value: `null` when not ready and not blocking.
   *
   * @throws {TaskError} The task failed.
   * @throws {ResultTimeout} A blocking wait ran past `timeout`.
   * @throws {ConfigurationError} The Huey stores no results.
   */
  async get(options: GetOptions = {}): Promise<R | null> {
    const {
      blocking = false,
      timeout,
      backoff = 1.15,
      maxDelay = 1.0,
      revokeOnTimeout = false,
      preserve = false,
      signal,
    } = options;
    this.#checkResults();
    if (!blocking) return this.#unwrap(await this.#read(preserve));
    const start = performance.now();
    const storage = this.#huey.storage;
    let delay = 0.1;
    while (true) {
      const value = await this.#read(preserve);
      if (value !== EMPTY) return this.#unwrap(value);
      signal?.throwIfAborted();
      const waited = performance.now() - start;
      if (timeout && waited / 1000 >= timeout) {
        if (revokeOnTimeout) await this.revoke();
        throw new ResultTimeout();
      }
      // Woken by the store itself (Redis with notifyResult): no polling.
      if (storage?.waitForData) {
        await storage.waitForData(this.id, timeout ? timeout * 1000 - waited : Infinity, signal);
        continue;
      }
      delay = Math.min(delay, maxDelay);
      await sleep(delay, signal);
      delay *= backoff;
    }
  }

  /**
   * Whether the task's outcome (its value or its error) is stored, without
   * reading it: a later `get()` still finds it.
   *
   * @throws {ConfigurationError} The Huey stores no results.
   */
  async isReady(): Promise<boolean> {
    this.#checkResults();
    if (this.#value !== EMPTY) return true;
    return (await this.#huey.getRaw(this.id, { peek: true })) !== null;
  }

  async #read(preserve: boolean): Promise<R | typeof EMPTY> {
    if (this.#value !== EMPTY) return this.#value;
    const raw = await this.#huey.getRaw(this.id, { peek: preserve });
    if (raw === null) return EMPTY;
    this.#value = this.#huey.serializer.deserialize(raw) as R;
    return this.#value;
  }

  #unwrap(value: R | typeof EMPTY): R | null {
    if (value === EMPTY) return null;
    const failure = asTaskError(value);
    if (failure) throw failure;
    return value;
  }

  /** @throws {ConfigurationError} The Huey stores no results. */
  #checkResults(): void {
    if (!this.#huey.results) {
      throw new ConfigurationError(
        `Results are disabled on Huey '${this.#huey.name}' (results: false)`,
      );
    }
  }

  /**
   * The latest progress the task recorded with `task.progress()`, during its
   * run or after it (kept when the task finishes); `null` when it recorded
   * none.
   */
  async progress(): Promise<unknown> {
    const raw = await this.#huey.getRaw(progressKey(this.id), { peek: true });
    return raw === null ? null : this.#huey.serializer.deserialize(raw);
  }

  /** Forgets the value read, so the next `get()` reads storage again. */
  reset(): void {
    this.#value = EMPTY;
  }

  /** Revokes this task (by default only its next execution). */
  revoke(options: ResultRevokeOptions = {}): Promise<void> {
    const { revokeUntil, revokeOnce = revokeUntil === undefined } = options;
    return this.#huey.revoke(this.task, { revokeOnce, revokeUntil });
  }

  /** Lifts a revocation of this task; `true` when there was one. */
  restore(): Promise<boolean> {
    return this.#huey.restore(this.task);
  }

  /** Whether this task (or its task kind) is revoked. */
  isRevoked(): Promise<boolean> {
    return this.#huey.isRevoked(this.task, { peek: true });
  }

  /**
   * Revokes this task once and enqueues a copy with a new id, to run at
   * `eta` / after `delay`, or now. The copy keeps the pipeline.
   *
   * @returns The copy's Result, or a group when it has a pipeline.
   */
  async reschedule(options: RescheduleOptions = {}): Promise<Result<R> | ResultGroup> {
    await this.revoke();
    const copy = this.#huey.copyTask(this.task);
    copy.eta = resolveEta(options.eta, options.delay);
    if (options.priority !== undefined) copy.priority = options.priority;
    if (options.expires !== undefined) copy.expires = options.expires;
    return this.#huey.enqueue(copy);
  }
}

/** Options of {@linkcode ResultGroup.asCompleted}. */
export interface AsCompletedOptions {
  /** Each result's wait between polls grows by this factor. @default 1.15 */
  backoff?: number;
  /** The longest wait between polls, in seconds. @default 1.0 */
  maxDelay?: number;
  /** Stops waiting; the iterator then throws the signal's reason. */
  signal?: AbortSignal;
}

/**
 * The results of several tasks: from `map()`, or from enqueueing a pipeline
 * (the task and each stage). Iterable; not thenable.
 */
export class ResultGroup<R = unknown> {
  /** The results, in order. */
  readonly results: Result<R>[];

  /**
   * @param results The results.
   */
  constructor(results: Result<R>[]) {
    this.results = results;
  }

  /** How many results. */
  get length(): number {
    return this.results.length;
  }

  /** Iterates over the results. */
  [Symbol.iterator](): Iterator<Result<R>> {
    return this.results[Symbol.iterator]();
  }

  /**
   * Every result's value, in order (each read with the same options).
   *
   * @throws {TaskError} A task failed.
   */
  async get(options: GetOptions = {}): Promise<(R | null)[]> {
    const values: (R | null)[] = [];
    for (const result of this.results) values.push(await result.get(options));
    return values;
  }

  /**
   * Yields values as their tasks finish, polling round-robin with a backoff
   * per result.
   *
   * @throws {TaskError} A task failed.
   */
  async *asCompleted(options: AsCompletedOptions = {}): AsyncGenerator<R> {
    const { backoff = 1.15, maxDelay = 1.0, signal } = options;
    const waiting = this.results.map((result) => ({ result, delay: 0.1, due: 0 }));
    while (waiting.length) {
      signal?.throwIfAborted();
      const now = performance.now();
      for (let i = 0; i < waiting.length; i++) {
        const entry = waiting[i];
        if (entry.due > now) continue;
        const value = await entry.result.get({ preserve: false });
        if (value !== null || hasValue(entry.result)) {
          waiting.splice(i--, 1);
          yield value as R; // a stored null is what the task returned
          continue;
        }
        entry.delay = Math.min(entry.delay * backoff, maxDelay);
        entry.due = now + entry.delay * 1000;
      }
      if (waiting.length) {
        const next = Math.min(...waiting.map((entry) => entry.due));
        await sleep(Math.max(0, (next - performance.now()) / 1000), signal);
      }
    }
  }
}
