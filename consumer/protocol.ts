/**
 * The messages between the consumer and its thread or process workers.
 *
 * @module
 * @internal
 */
import type { LevelName } from "../logger.ts";

/** Starts a worker: which module to import and how to loop. */
export interface InitMessage {
  type: "init";
  /** File URL of the module that exports the Huey. */
  moduleUrl: string;
  /** The export's name; `huey`, then `default`, when not given. */
  exportName?: string;
  /** `Worker-1`, ... */
  name: string;
  /** The consumer's id (`host:pid` of its main process), for the worker's events. */
  consumer: string;
  /** The worker loop's polling settings, and the tasks it runs before it is replaced. */
  loop: { initialDelay: number; maxDelay: number; backoff: number; maxTasks: number | null };
  /** How the worker logs. */
  logging: { level: LevelName; simple: boolean; logfile?: string };
}

/** Stops a worker: after its running task (graceful), or interrupting it. */
export interface StopMessage {
  type: "stop";
  graceful: boolean;
}

/** What the consumer sends. */
export type ToWorker = InitMessage | StopMessage;

/** What a worker sends. */
export type FromWorker =
  | { type: "ready" }
  | { type: "failed"; error: string }
  | {
    type: "start";
    taskId: string;
    /** The task's name (the consumer's heartbeat lists what runs). */
    name: string;
    /** The lease receipt of the task's message, if leased. */
    receipt?: string;
    /** The serialized task, base64, so the consumer can record a hard timeout (only for tasks with a timeout). */
    data?: string;
    /** The task's timeout in seconds. */
    timeout: number | null;
    /** Tasks done since the last message (told here rather than in a message of their own). */
    done?: string[];
  }
  | { type: "done"; taskIds: string[] }
  | {
    type: "stopped";
    /** It ran its `maxTasks` tasks: the consumer starts a fresh worker in its place. */
    recycle?: boolean;
  };
