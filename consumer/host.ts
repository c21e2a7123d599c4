/**
 * What the consumer needs of the Huey whose tasks it runs: the narrow view
 * it is written against. A `Huey` is one; the consumer never imports it.
 *
 * @module
 * @internal
 */
import type { LifecycleType } from "../event_publisher.ts";
import type { SignalName } from "../signals.ts";
import type { Storage } from "../storage/base.ts";
import type { Task } from "../task.ts";
import { WORKER } from "../worker_side.ts";

export { WORKER };

/** A process's event publishing (see `EventPublisher`, event_publisher.ts). */
export interface EventsHost {
  /** Starts publishing this process's signals as the consumer's (`worker`: this process's worker). */
  start(consumer: string, worker?: string): void;
  /** Records that the consumer enqueues a task (the scheduler): its `enqueued` event is published. */
  claim(task: Task): void;
  /** Publishes a lifecycle event (`worker-died`: the worker, and how it ended). */
  lifecycle(type: LifecycleType, worker?: string, error?: string): void;
  /** Stores what is buffered before it resolves (never rejects). */
  flush(): Promise<void>;
  /** Publishes what is buffered, then stops publishing. */
  stop(): Promise<void>;
}

/** What a worker's loop does with a Huey beyond its public API (a Huey's `[WORKER]`). */
export interface WorkerHost {
  /** Takes the next task, leasing the one after it ahead (see `WorkerSide.dequeue`). */
  dequeue(signal: AbortSignal): Promise<Task | null>;
  /** The next task without waiting when one leased ahead is ready, else `undefined` (see `WorkerSide.takeReady`). */
  takeReady(signal: AbortSignal): Task | undefined;
  /**
   * Runs a dequeued task; `onStoring` is told when only storing its outcome
   * remains; `worker` names the worker in its events.
   */
  execute(
    task: Task,
    signal: AbortSignal,
    onStoring: () => void,
    worker?: string,
  ): Promise<unknown>;
  /** Records that a task ran past its timeout (its worker was ended). */
  recordTimeout(data: Uint8Array, receipt: string | undefined): Promise<void>;
  /** The lease receipt of a dequeued task, if its message is leased. */
  receiptOf(task: Task): string | undefined;
  /** The message bytes of a task. */
  encode(task: Task): Uint8Array;
  /** A task as `enqueue()` stores it (its expiry resolved). */
  item(task: Task): { data: Uint8Array; priority: number };
  /** Renews a message's lease until `dropLease`. */
  holdLease(receipt: string): void;
  /** Stops renewing a message's lease. */
  dropLease(receipt: string): void;
  /** Publishes the signals of this process as events while a consumer runs. */
  readonly events: EventsHost;
}

/** The consumer's view of a Huey. */
export interface ConsumerHost {
  /** The queue's name. */
  readonly name: string;
  /** The storage in use. */
  readonly storage: Storage;
  /** Whether tasks run at once in the caller (then there is nothing to consume). */
  readonly immediate: boolean;
  /** The registered task names. */
  readonly registry: { names(): string[] };
  /** The signal handlers (`SIGNAL_ENQUEUED` for the scheduler's moves). */
  readonly signals: {
    has(signal: SignalName): boolean;
    emit(signal: SignalName, task: Task): Promise<void>;
  };
  /** Hooks each worker runs when it starts. */
  readonly startupHooks: { readonly hooks: (() => unknown)[] };
  /** Hooks each worker runs when it stops gracefully. */
  readonly shutdownHooks: { readonly hooks: (() => unknown)[] };
  /** Releases every known lock and the named ones; resolves to the names that were held. */
  flushLocks(...names: string[]): Promise<Set<string>>;
  /** New tasks of the periodic tasks matching `timestamp`'s minute. */
  readPeriodic(timestamp: Date): Promise<Task[]>;
  /** The task in a message. */
  deserializeTask(data: Uint8Array): Task;
  /** Releases the storage. */
  close(): Promise<void>;
  /** What a worker's loop does beyond the public API. */
  readonly [WORKER]: WorkerHost;
}
