/**
 * How a Huey's parts are built from its settings and wired together: the
 * leases, revocations, locks, queue operations, executor and worker side.
 * Each part is given what it needs (a storage getter, the serializer, the
 * registry, signals, hooks) and none of them sees the `Huey`.
 *
 * @module
 * @internal
 */
import { ChordCompletion } from "./chord_completion.ts";
import { EventPublisher } from "./event_publisher.ts";
import { Executor, type ExecutorOptions } from "./executor.ts";
import { Failures } from "./failures.ts";
import { LeaseKeeper } from "./leases.ts";
import { Locks } from "./lock.ts";
import { TaskQueue } from "./queue.ts";
import { Revocations } from "./revoke.ts";
import type { Task } from "./task.ts";
import { Tracing } from "./tracing.ts";
import { WorkerSide } from "./worker_side.ts";

/** What a Huey's parts are built from: the executor's settings, and the queue's. */
export interface PartsSettings extends
  Pick<
    ExecutorOptions,
    | "storage"
    | "serializer"
    | "registry"
    | "signals"
    | "preExecuteHooks"
    | "postExecuteHooks"
    | "results"
    | "storeNone"
    | "storeIntermediateErrors"
    | "buildErrorResult"
  > {
  /** The queue's name. */
  name: string;
  /** Match periodic tasks against UTC. */
  utc: boolean;
  /** Lease dequeued messages and acknowledge them once done. */
  acks: boolean;
  /** Seconds of a lease. */
  leaseTimeout: number;
  /** Enqueues a follow-up task as `Huey.enqueue` does (it runs at once in immediate mode). */
  enqueue: (task: Task) => Promise<unknown>;
  /** Enqueues a retry as it is, unique or not (it runs at once in immediate mode). */
  requeue: (task: Task) => Promise<unknown>;
  /** Enqueues a task once per marker (`TaskQueue.enqueueOnce`; it runs at once in immediate mode). */
  enqueueOnce: (marker: string, task: Task, ttl: number) => Promise<boolean>;
  /** The most failure records kept (0: none). */
  failuresMaxLength: number;
  /** Publish events while a consumer runs. */
  events: boolean;
  /** The most events the log keeps. */
  eventsMaxLength: number;
}

/** The parts of a Huey. */
export interface HueyParts {
  /** The leases of the dequeued tasks. */
  leases: LeaseKeeper;
  /** The revocation keys. */
  revocations: Revocations;
  /** The locks. */
  locks: Locks;
  /** The queue operations. */
  queue: TaskQueue;
  /** Runs tasks and stores their outcomes. */
  executor: Executor;
  /** The tasks that failed for good. */
  failures: Failures;
  /** What a consumer's workers use. */
  worker: WorkerSide;
}

/**
 * Builds the parts of a Huey.
 *
 * @param settings See {@linkcode PartsSettings}.
 * @returns The parts, wired together.
 */
export function assembleParts(settings: PartsSettings): HueyParts {
  const { name, storage, serializer, registry, signals, leaseTimeout, utc } = settings;
  const leases: LeaseKeeper = new LeaseKeeper({
    storage,
    leaseTimeout,
    onArrival: (delivery) => queue.decodeAhead(delivery),
  });
  const revocations = new Revocations({ storage, serializer });
  const tracing = new Tracing(name);
  const events = new EventPublisher({
    storage,
    signals,
    enabled: settings.events,
    maxLength: settings.eventsMaxLength,
  });
  const locks = new Locks({ name, storage, serializer });
  const queue = new TaskQueue({
    storage,
    serializer,
    registry,
    signals,
    leases,
    revocations,
    leaseTimeout: settings.acks ? leaseTimeout : 0,
    utc,
    tracing,
  });
  const failures = new Failures({
    storage,
    serializer,
    registry,
    encode: (task) => queue.encode(task),
    decode: (data) => queue.decode(data),
    enqueue: settings.enqueue,
    maxLength: settings.failuresMaxLength,
  });
  const executor = new Executor({
    storage,
    serializer,
    registry,
    signals,
    preExecuteHooks: settings.preExecuteHooks,
    postExecuteHooks: settings.postExecuteHooks,
    leases,
    revocations,
    followUps: {
      enqueue: settings.enqueue,
      requeue: settings.requeue,
      schedule: (task) => queue.schedule(task),
      deadLetter: (data, error) => queue.deadLetter(data, error),
    },
    chords: new ChordCompletion({ storage, serializer, enqueueOnce: settings.enqueueOnce }),
    results: settings.results,
    storeNone: settings.storeNone,
    storeIntermediateErrors: settings.storeIntermediateErrors,
    buildErrorResult: settings.buildErrorResult,
    tracing,
    failures,
    events,
  });
  const worker = new WorkerSide({ queue, executor, leases, events });
  return { leases, revocations, locks, queue, executor, failures, worker };
}
