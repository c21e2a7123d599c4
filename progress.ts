/**
 * Task progress (BullMQ's `updateProgress`): a running task records a value
 * with `task.progress(value)`; `result.progress()` reads the latest. It is
 * stored beside the task's result, under `progress:<id>` in the key/value
 * store (as a result: expiring storages give it the results' expiry), and
 * kept when the task finishes, so the last progress stays readable, as a
 * BullMQ job's does.
 *
 * @module
 * @internal
 */
import { HueyError } from "./errors.ts";
import type { SerializerLike } from "./serializer.ts";
import type { Storage } from "./storage/base.ts";

/** What progress needs of a task (a `Task`; task.ts imports this module). */
export interface ProgressTask {
  /** The task's id: its progress is stored under `progress:<id>`. */
  readonly id: string;
  /** The task's name, for the error of a task that is not running. */
  readonly name: string;
  /** The task's retries left (its progress event tells them). */
  readonly retries: number;
}

/** Told of each progress a task records, once it is stored (a consumer publishes it as an event). */
export interface ProgressListener {
  /** Told of a progress; it neither throws nor waits. */
  progress(task: ProgressTask, value: unknown): void;
}

/** Stores a running task's progress. */
type Recorder = (value: unknown) => Promise<void>;

/** The recorders of the tasks running in this thread (set by the executor before a run). */
const recorders = new WeakMap<ProgressTask, Recorder>();

/** The key/value key of a task's progress. */
export function progressKey(id: string): string {
  return `progress:${id}`;
}

/**
 * Lets a task record its progress during the run that follows.
 *
 * @param task The task about to run.
 * @param storage Gives the storage in use.
 * @param serializer Turns the progress into bytes.
 * @param listener Told of each progress once it is stored.
 */
export function trackProgress(
  task: ProgressTask,
  storage: () => Storage,
  serializer: SerializerLike,
  listener?: ProgressListener,
): void {
  recorders.set(task, async (value) => {
    const bytes = serializer.serialize(value);
    await storage().putData(progressKey(task.id), bytes, { isResult: true });
    listener?.progress(task, value);
  });
}

/**
 * Records a running task's progress (what `task.progress()` does).
 *
 * @throws {HueyError} The task is not running in `execute()`.
 */
export function recordProgress(task: ProgressTask, value: unknown): Promise<void> {
  const record = recorders.get(task);
  if (!record) {
    return Promise.reject(
      new HueyError(
        `Task ${task.name} ${task.id} is not running: progress() is for a task that ` +
          "runs in a worker (or huey.execute()) and receives its Task (context: true)",
      ),
    );
  }
  return record(value);
}
