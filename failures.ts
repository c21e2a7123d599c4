/**
 * The failures: a capped list, in the storage, of the tasks that failed for
 * good (no retry follows; not a cancellation), newest first, one record per
 * task id. The executor records them; `huey.failures()` lists them,
 * `huey.retryFailure(id)` enqueues one again with its retries reset, and
 * `huey.purgeFailures()` removes them all.
 *
 * A record's bytes: a version byte (1), the byte length of a UTF-8 JSON
 * header as 4 bytes big-endian, the header (`error`, `traceback`,
 * `retries`, `at` in epoch ms), then the task's message as the queue stores
 * it (so the task can be rebuilt and enqueued again).
 *
 * @module
 */
import { CancelExecution, type ErrorMetadata, HueyError } from "./errors.ts";
import { getLogger } from "./logger.ts";
import { checkInteger, checkText } from "./_options.ts";
import { checkLimit } from "./storage/_check.ts";
import type { TaskRegistry } from "./registry.ts";
import type { SerializerLike } from "./serializer.ts";
import type { Storage } from "./storage/base.ts";
import type { Task } from "./task.ts";

const logger = getLogger("huey");

const VERSION = 1;
const HEADER_AT = 5;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** The default of the Huey option `failuresMaxLength`. */
export const DEFAULT_FAILURES_MAX_LENGTH = 1000;

/** A task that failed for good, as `huey.failures()` lists it. */
export interface FailureRecord {
  /** The task's id (its result's key); names the record for `retryFailure`. */
  readonly id: string;
  /** The task's name. */
  readonly name: string;
  /** The call's arguments. */
  readonly args: readonly unknown[];
  /** What it threw, as text, e.g. `Error: boom`. */
  readonly error: string;
  /** The error's stack, or `null` when it had none. */
  readonly traceback: string | null;
  /** How many times the task had been retried before it failed for good. */
  readonly retries: number;
  /** When it failed for good. */
  readonly at: Date;
}

/** Options of `huey.failures()`. */
export interface FailuresOptions {
  /** The most records to return (newest first). @default all */
  limit?: number;
  /** Only the failures of the task of this name. */
  name?: string;
}

/** The header of a record's bytes. */
interface Header {
  error: string;
  traceback: string | null;
  retries: number;
  at: number;
}

/** A record's bytes: version, header length, header, message. */
function packRecord(header: Header, message: Uint8Array): Uint8Array {
  const head = encoder.encode(JSON.stringify(header));
  const packed = new Uint8Array(HEADER_AT + head.length + message.length);
  packed[0] = VERSION;
  new DataView(packed.buffer).setUint32(1, head.length);
  packed.set(head, HEADER_AT);
  packed.set(message, HEADER_AT + head.length);
  return packed;
}

/**
 * The header and message of a record's bytes.
 *
 * @throws {HueyError} The bytes are not a failure record of this version.
 */
function unpackRecord(bytes: Uint8Array): { header: Header; message: Uint8Array } {
  if (bytes.length < HEADER_AT || bytes[0] !== VERSION) {
    throw new HueyError("Not a failure record of a version this huey reads");
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const end = HEADER_AT + view.getUint32(1);
  const header = JSON.parse(decoder.decode(bytes.subarray(HEADER_AT, end))) as Header;
  return { header, message: bytes.slice(end) };
}

/**
 * Whether a failed task failed for good: no retry follows, and it was not
 * cancelled (a revoked, expired or cancelled task did not fail).
 *
 * @param task The task, its retries adjusted for the failure.
 * @param error What it threw.
 */
export function failedForGood(task: Task, error: unknown): boolean {
  return task.retries <= 0 && !(error instanceof CancelExecution);
}

/** What {@linkcode Failures} is built from. */
export interface FailuresPartOptions {
  /** Gives the storage in use. */
  storage: () => Storage;
  /** Reads the fields of a message without checking its tasks are registered (listing). */
  serializer: SerializerLike;
  /** The registered tasks: a retried task gets its task's configured retries. */
  registry: TaskRegistry;
  /** A task's message bytes (`TaskQueue.encode`). */
  encode: (task: Task) => Uint8Array;
  /** The task in a message, checked (`TaskQueue.decode`). */
  decode: (data: Uint8Array) => Task;
  /** Enqueues a task again as `Huey.enqueue` does (it runs at once in immediate mode). */
  enqueue: (task: Task) => Promise<unknown>;
  /** The most records kept; 0 records none. */
  maxLength: number;
}

/**
 * Checks the Huey option `failuresMaxLength`.
 *
 * @throws {ConfigurationError} It is not a whole number >= 0.
 */
export function checkFailuresMaxLength(value: unknown): number {
  return checkInteger("failuresMaxLength", value, 0);
}

/** The failures part of a Huey: records tasks that failed for good, lists and retries them. */
export class Failures {
  #storage: () => Storage;
  #serializer: SerializerLike;
  #registry: TaskRegistry;
  #encode: (task: Task) => Uint8Array;
  #decode: (data: Uint8Array) => Task;
  #enqueue: (task: Task) => Promise<unknown>;
  #maxLength: number;

  /** @param options See {@linkcode FailuresPartOptions}. */
  constructor(options: FailuresPartOptions) {
    this.#storage = options.storage;
    this.#serializer = options.serializer;
    this.#registry = options.registry;
    this.#encode = options.encode;
    this.#decode = options.decode;
    this.#enqueue = options.enqueue;
    this.#maxLength = options.maxLength;
  }

  /**
   * Records a task that failed for good. A record that cannot be stored is
   * logged, never thrown: the task's outcome is stored all the same.
   *
   * @param task The task, as it ran.
   * @param metadata The error metadata stored for it (`buildErrorResult`).
   */
  async record(task: Task, metadata: ErrorMetadata): Promise<void> {
    if (this.#maxLength === 0) return;
    try {
      const header: Header = {
        error: String(metadata.error),
        traceback: typeof metadata.traceback === "string" ? metadata.traceback : null,
        retries: task.retried,
        at: Date.now(),
      };
      const record = packRecord(header, this.#encode(task));
      await this.#storage().addFailure(task.id, record, this.#maxLength);
    } catch (error) {
      logger.exception(`Could not record the failure of task ${task.id}`, error);
    }
  }

  /** The failures, newest first, of one task name when `name` is given, at most `limit`. */
  async list(options: FailuresOptions = {}): Promise<FailureRecord[]> {
    const { limit, name } = options;
    if (name !== undefined) checkText("name", name);
    if (limit !== undefined) checkLimit(limit);
    const storage = this.#storage();
    const records = (await storage.failures(name === undefined ? limit : undefined))
      .map((bytes) => this.#read(bytes));
    if (name === undefined) return records;
    const named = records.filter((record) => record.name === name);
    return limit === undefined ? named : named.slice(0, Math.floor(limit));
  }

  /** A record as `failures()` lists it; the message's fields read without the registry. */
  #read(bytes: Uint8Array): FailureRecord {
    const { header, message } = unpackRecord(bytes);
    const fields = (this.#serializer.deserialize(message) ?? {}) as Record<string, unknown>;
    return {
      id: String(fields.id),
      name: String(fields.name),
      args: Array.isArray(fields.args) ? fields.args : [],
      error: header.error,
      traceback: header.traceback,
      retries: header.retries,
      at: new Date(header.at),
    };
  }

  /**
   * Removes a failure and enqueues its task again, same id, to run now,
   * with the retries of its registered task and its backoff reset.
   *
   * @returns `false` when there is no failure of that id (never failed, or
   *   retried or purged since).
   * @throws {HueyError} The task is no longer registered (the record is kept).
   */
  async retry(id: string): Promise<boolean> {
    const storage = this.#storage();
    const bytes = await storage.takeFailure(id);
    if (bytes === null) return false;
    try {
      const task = this.#decode(unpackRecord(bytes).message);
      task.retries = this.#registry.get(task.name)?.retries ?? 0;
      task.retried = 0;
      task.eta = null;
      await this.#enqueue(task);
      return true;
    } catch (error) {
      await storage.addFailure(id, bytes, Math.max(this.#maxLength, 1));
      throw error;
    }
  }

  /** Removes every failure; resolves to how many there were. */
  purge(): Promise<number> {
    return this.#storage().purgeFailures();
  }

  /** How many failures are kept. */
  count(): Promise<number> {
    return this.#storage().failureCount();
  }
}
