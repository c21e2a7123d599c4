/**
 * The side of a Huey only a consumer's workers use: the prefetching dequeue,
 * the execution that tells when only storing remains, the recording of a
 * hard timeout, the leases of tasks that run in other threads. A Huey holds
 * one under {@linkcode WORKER}; the consumer declares what it needs of it
 * (consumer/host.ts) and never sees the rest.
 *
 * @module
 * @internal
 */
import type { EventPublisher } from "./event_publisher.ts";
import type { Executor } from "./executor.ts";
import { timeoutError } from "./invoke.ts";
import type { LeaseKeeper } from "./leases.ts";
import type { QueueItem, TaskQueue } from "./queue.ts";
import type { Task } from "./task.ts";

/**
 * The key of a Huey's worker side. A registered symbol: a module that loads
 * another copy of this library still hands the consumer a usable Huey.
 */
export const WORKER: unique symbol = Symbol.for("huey.worker");

/** What a {@linkcode WorkerSide} is built from. */
export interface WorkerSideOptions {
  /** The Huey's queue. */
  queue: TaskQueue;
  /** The Huey's executor. */
  executor: Executor;
  /** The Huey's leases. */
  leases: LeaseKeeper;
  /** The Huey's event publisher. */
  events: EventPublisher;
}

/** What a consumer's workers do with a Huey beyond its public API. */
export class WorkerSide {
  /** Publishes this process's signals as events while a consumer runs here. */
  readonly events: EventPublisher;
  #queue: TaskQueue;
  #executor: Executor;
  #leases: LeaseKeeper;

  /** @param options See {@linkcode WorkerSideOptions}. */
  constructor(options: WorkerSideOptions) {
    this.#queue = options.queue;
    this.#executor = options.executor;
    this.#leases = options.leases;
    this.events = options.events;
  }

  /**
   * Takes the next task for a worker's loop, which runs it with
   * {@linkcode execute} and comes straight back: the next message is leased
   * in the round trip that stores this task's outcome. A message leased
   * ahead that nobody takes goes back when `signal` aborts.
   */
  dequeue(signal?: AbortSignal): Promise<Task | null> {
    return this.#queue.dequeue(signal, true);
  }

  /**
   * The next task without waiting, when the message leased ahead for the
   * loop has arrived; `undefined`: call {@linkcode dequeue}.
   */
  takeReady(signal?: AbortSignal): Task | undefined {
    return this.#queue.takeReady(signal);
  }

  /**
   * Runs a dequeued task; `onStoring` is told when the task has run and only
   * the storing of its outcome remains (the loop may start its next task).
   * `worker` names the worker in the task's events (greenlet workers share a Huey).
   */
  execute(
    task: Task,
    signal?: AbortSignal,
    onStoring?: () => void,
    worker?: string,
  ): Promise<unknown> {
    if (worker !== undefined) this.events.runBy(task, worker);
    return this.#executor.execute(task, new Date(), signal, onStoring);
  }

  /**
   * Records that a task ran past its timeout instead of running it (its
   * worker was ended): `TaskTimeout` result, retries, error handler; then
   * acknowledges its message.
   *
   * @param data The task's message.
   * @param receipt The lease receipt of its message, if leased.
   */
  async recordTimeout(data: Uint8Array, receipt: string | undefined): Promise<void> {
    const task = this.#queue.decode(data);
    if (receipt !== undefined) this.#leases.attach(task, receipt);
    await this.#executor.execute(task, new Date(), undefined, undefined, timeoutError(task));
  }

  /** The lease receipt of a dequeued task not yet executed, if its message is leased. */
  receiptOf(task: Task): string | undefined {
    return this.#leases.receiptOf(task);
  }

  /** The message bytes of a task. */
  encode(task: Task): Uint8Array {
    return this.#queue.encode(task);
  }

  /** A task as `enqueue()` stores it (its expiry resolved), for the scheduler's periodic step. */
  item(task: Task): QueueItem {
    return this.#queue.item(task);
  }

  /** Renews a message's lease (a task running in a thread or process worker) until {@linkcode dropLease}. */
  holdLease(receipt: string): void {
    this.#leases.track(receipt);
  }

  /** Stops renewing a message's lease. */
  dropLease(receipt: string): void {
    this.#leases.untrack(receipt);
  }
}
