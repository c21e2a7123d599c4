/**
 * The `TaskQueue`: a Huey's queue operations — tasks turned into messages
 * and back, enqueued, scheduled, dequeued (leased), moved to the dead
 * letters, listed.
 *
 * @module
 * @internal
 */
import type { LeaseKeeper } from "./leases.ts";
import { getLogger } from "./logger.ts";
import { newTask, type TaskRegistry } from "./registry.ts";
import type { Revocations } from "./revoke.ts";
import type { SerializerLike } from "./serializer.ts";
import { SIGNAL_ENQUEUED, SIGNAL_SCHEDULED, type SignalDispatcher } from "./signals.ts";
import type { Delivery, Storage } from "./storage/base.ts";
import { Task } from "./task.ts";
import { resolveExpires } from "./time.ts";
import type { Tracing } from "./tracing.ts";
import { markerTtl, uniqueMarker } from "./unique.ts";
import { checkKnown, readTaskMessage } from "./_task_message.ts";

/** What a {@linkcode TaskQueue} is built from. */
export interface TaskQueueOptions {
  /** Gives the storage in use. */
  storage: () => Storage;
  /** Turns messages into bytes and back. */
  serializer: SerializerLike;
  /** The registered tasks. */
  registry: TaskRegistry;
  /** The signal handlers (`SIGNAL_ENQUEUED`, `SIGNAL_SCHEDULED`). */
  signals: SignalDispatcher;
  /** The leases of the dequeued tasks, and the messages leased ahead. */
  leases: LeaseKeeper;
  /** The revocation keys (read early for messages leased ahead). */
  revocations: Revocations;
  /** Seconds a dequeued message stays leased; 0: not leased (acks off). */
  leaseTimeout: number;
  /** Match periodic tasks against UTC (`false`: local time). */
  utc: boolean;
  /** The send spans of the stored messages. */
  tracing: Tracing;
}

/** A task as the queue stores it: its message and its priority. */
export interface QueueItem {
  /** The message. */
  data: Uint8Array;
  /** The priority. */
  priority: number;
}

const logger = getLogger("huey");

/** Resolves a task's relative expiry from now, as it is enqueued. */
function prepare(task: Task): void {
  if (task.expires !== null) task.expiresResolved = resolveExpires(task.expires);
}

/** The queue operations of one Huey. */
export class TaskQueue {
  #storage: () => Storage;
  #serializer: SerializerLike;
  #registry: TaskRegistry;
  #signals: SignalDispatcher;
  #leases: LeaseKeeper;
  #revocations: Revocations;
  #leaseTimeout: number;
  #utc: boolean;
  #tracing: Tracing;

  /** @param options See {@linkcode TaskQueueOptions}. */
  constructor(options: TaskQueueOptions) {
    this.#storage = options.storage;
    this.#serializer = options.serializer;
    this.#registry = options.registry;
    this.#signals = options.signals;
    this.#leases = options.leases;
    this.#revocations = options.revocations;
    this.#leaseTimeout = options.leaseTimeout;
    this.#utc = options.utc;
    this.#tracing = options.tracing;
  }

  /**
   * The message bytes of a task.
   *
   * @throws {HueyError} A task of the pipeline is not registered.
   */
  encode(task: Task): Uint8Array {
    const data = task.toData();
    checkKnown(data, this.#registry);
    return this.#serializer.serialize(data);
  }

  /**
   * The task in a message, every field checked (next stages and error
   * handlers too).
   *
   * @throws {HueyError} The bytes are not a task message of known tasks.
   */
  decode(data: Uint8Array): Task {
    return Task.fromData(readTaskMessage(this.#serializer.deserialize(data), this.#registry));
  }

  /**
   * A task as `enqueue()` stores it, for a caller that enqueues through
   * another storage step (the scheduler's periodic tasks): its relative
   * expiry resolved from now, its message and its priority.
   */
  item(task: Task): QueueItem {
    prepare(task);
    return { data: this.encode(task), priority: task.priority ?? 0 };
  }

  /**
   * Enqueues a task (emits `SIGNAL_ENQUEUED`); `runNow` runs it instead of
   * storing it (immediate mode). A unique task is enqueued only when no task
   * of its id is pending, scheduled or running (see {@linkcode enqueueUnique}).
   */
  enqueue(task: Task, runNow?: (task: Task) => Promise<unknown>): Promise<unknown> {
    if (task.unique && !runNow) return this.enqueueUnique(task);
    return this.requeue(task, runNow);
  }

  /**
   * Enqueues a task as it is, unique or not: a retry of a task that ran,
   * whose unique marker is its own. `runNow` as in {@linkcode enqueue}.
   */
  requeue(task: Task, runNow?: (task: Task) => Promise<unknown>): Promise<void> {
    prepare(task);
    // The common case hands back the storage's promise: no async frame per enqueue.
    if (!runNow && !this.#signals.has(SIGNAL_ENQUEUED)) {
      return this.#tracing.send(task, () => this.#store(task));
    }
    return this.#enqueueAfterSignal(task, runNow);
  }

  /** Stores a task's message in the queue. */
  #store(task: Task): Promise<void> {
    return this.#storage().enqueue(this.encode(task), task.priority ?? 0);
  }

  async #enqueueAfterSignal(task: Task, runNow?: (task: Task) => Promise<unknown>): Promise<void> {
    if (this.#signals.has(SIGNAL_ENQUEUED)) await this.#signals.emit(SIGNAL_ENQUEUED, task);
    if (runNow) await runNow(task);
    else await this.#tracing.send(task, () => this.#store(task));
  }

  /**
   * Enqueues a task unless `marker` is set, and sets the marker for `ttl`
   * seconds, in one storage step (a chord's callback: one enqueue however
   * often its last member ends); emits `SIGNAL_ENQUEUED` when it enqueued.
   * `runNow` runs the task instead of storing it (immediate mode), once per
   * marker too.
   *
   * @returns `true` when it enqueued (or ran) the task.
   */
  async enqueueOnce(
    marker: string,
    task: Task,
    ttl: number,
    runNow?: (task: Task) => Promise<unknown>,
  ): Promise<boolean> {
    const store = () =>
      this.#storage().enqueueOnce(marker, runNow ? [] : [this.item(task)], { ttl });
    if (!await (runNow ? store() : this.#tracing.send(task, store))) return false;
    if (this.#signals.has(SIGNAL_ENQUEUED)) await this.#signals.emit(SIGNAL_ENQUEUED, task);
    if (runNow) await runNow(task);
    return true;
  }

  /**
   * Enqueues a unique task, and sets its marker, in one atomic storage step
   * unless the marker is set: then nothing is enqueued. A task whose eta is
   * ahead goes straight to the schedule. Emits `SIGNAL_ENQUEUED` or
   * `SIGNAL_SCHEDULED` when it was enqueued.
   *
   * @returns `true` when it was enqueued.
   */
  async enqueueUnique(task: Task): Promise<boolean> {
    const now = Date.now();
    const eta = task.eta !== null && task.eta.getTime() > now ? task.eta.getTime() : undefined;
    if (task.expires !== null) task.expiresResolved = resolveExpires(task.expires, eta ?? now);
    const ttl = markerTtl(eta, task.timeout, now);
    const added = await this.#tracing.send(task, () => {
      const item = { data: this.encode(task), priority: task.priority ?? 0, eta };
      return this.#storage().enqueueOnce(uniqueMarker(task.id), [item], { ttl });
    });
    if (added) {
      await this.#signals.emit(eta === undefined ? SIGNAL_ENQUEUED : SIGNAL_SCHEDULED, task);
    }
    return added;
  }

  /** Enqueues several tasks in one storage step, in order; `runNow` as in {@linkcode enqueue}. */
  async enqueueMany(tasks: Task[], runNow?: (task: Task) => Promise<unknown>): Promise<void> {
    if (!runNow && tasks.some((task) => task.unique)) {
      for (const task of tasks) await this.enqueue(task);
      return;
    }
    for (const task of tasks) {
      prepare(task);
      if (this.#signals.has(SIGNAL_ENQUEUED)) await this.#signals.emit(SIGNAL_ENQUEUED, task);
    }
    if (runNow) {
      for (const task of tasks) await runNow(task);
    } else {
      await this.#tracing.send(tasks, () => {
        const items = tasks.map((task) => ({
          data: this.encode(task),
          priority: task.priority ?? 0,
        }));
        return this.#storage().enqueueMany(items);
      });
    }
  }

  /**
   * Puts a task in the schedule to run at its eta, with its priority (emits
   * `SIGNAL_SCHEDULED`). A relative `expires` counts from the eta: huey
   * re-resolves it when the scheduler enqueues the due task, and the
   * scheduler's move into the queue is one raw storage step that cannot.
   */
  async schedule(task: Task): Promise<void> {
    const eta = task.eta?.getTime() ?? Date.now();
    if (task.expires !== null) task.expiresResolved = resolveExpires(task.expires, eta);
    await this.#tracing.send(task, () => {
      return this.#storage().addToSchedule(this.encode(task), eta, task.priority ?? 0);
    });
    await this.#signals.emit(SIGNAL_SCHEDULED, task);
  }

  /**
   * Removes every scheduled task due at `timestamp` from the schedule and
   * resolves to them; one that cannot be decoded goes to the dead letters.
   */
  async readSchedule(timestamp: Date): Promise<Task[]> {
    const tasks: Task[] = [];
    for (const data of await this.#storage().readSchedule(timestamp.getTime())) {
      try {
        tasks.push(this.decode(data));
      } catch (error) {
        await this.#releaseUnique(data);
        await this.deadLetter(data, error);
      }
    }
    return tasks;
  }

  /** New tasks of every periodic task whose schedule matches `timestamp`, in registration order. */
  readPeriodic(timestamp: Date): Task[] {
    const zone = this.#utc ? undefined : "local";
    return this.#registry.periodic()
      .filter((definition) => definition.validate!(timestamp, zone))
      .map((definition) => newTask(definition, []));
  }

  /**
   * Takes the next task off the queue, leased until its execution
   * acknowledges it. Messages that cannot be decoded or name unknown tasks
   * are moved to the dead letters, and the next message is tried.
   *
   * @param signal Aborts a blocking wait (then `null`), and ends a prefetch.
   * @param prefetch The caller runs each task it takes and comes straight
   *   back (a worker's loop): the next message is leased in the round trip
   *   that stores this task's outcome, and handed out by the next call.
   * @returns The task, or `null` when the queue is empty.
   */
  async dequeue(signal: AbortSignal | undefined, prefetch: boolean): Promise<Task | null> {
    while (true) {
      const ahead = await this.#leases.takeAhead();
      const delivery = ahead?.delivery ??
        await this.#storage().dequeue({ lease: this.#leaseTimeout, signal });
      if (!delivery) return null;
      try {
        return this.#handOut(ahead?.task ?? this.decode(delivery.data), delivery, signal, prefetch);
      } catch (error) {
        // Moved aside and acknowledged in one step: a crash between the two would move it twice.
        await this.#releaseUnique(delivery.data);
        await this.deadLetter(delivery.data, error, delivery.receipt);
      }
    }
  }

  /**
   * The next task without waiting, when a message leased ahead for a
   * worker's loop has arrived and was decoded (the loop's hot path; see
   * {@linkcode dequeue} with `prefetch`); `undefined`: call `dequeue()`.
   */
  takeReady(signal: AbortSignal | undefined): Task | undefined {
    const ahead = this.#leases.takeReady();
    return ahead && this.#handOut(ahead.task!, ahead.delivery, signal, true);
  }

  /** A dequeued task, its lease attached (and the next message leased ahead, with `prefetch`). */
  #handOut(
    task: Task,
    delivery: Delivery,
    signal: AbortSignal | undefined,
    prefetch: boolean,
  ): Task {
    if (delivery.receipt) {
      this.#leases.attach(task, delivery.receipt);
      if (prefetch) this.#leases.prefetchAfter(task, signal);
    }
    return task;
  }

  /**
   * Decodes a message leased ahead as soon as it arrives, and reads its
   * revocation keys then, so that the loop that takes it need not wait for
   * them. A message that cannot be decoded is left to `dequeue()`.
   */
  decodeAhead(delivery: Delivery): Task | undefined {
    let task: Task;
    try {
      task = this.decode(delivery.data);
    } catch {
      return undefined;
    }
    this.#revocations.readAhead(task, delivery.revocations);
    return task;
  }

  /**
   * Moves a message aside with the reason, and logs one WARNING line (its
   * id and the reason, no stack: a bad message is the sender's mistake, and
   * a flood of them must stay readable).
   *
   * @param receipt The lease of the message it came from: acknowledged in the same step.
   */
  async deadLetter(data: Uint8Array, error: unknown, receipt: string | null = null): Promise<void> {
    const reason = error instanceof Error ? error.message : String(error);
    const id = await this.#storage().addDeadLetter(data, reason, receipt);
    logger.warning(`Message moved to dead letters (${id}): ${reason}`);
  }

  /**
   * Removes the unique marker of a message read from the queue or the
   * schedule that goes to the dead letters (it is done for good), when the
   * message can be read that far.
   */
  async #releaseUnique(data: Uint8Array): Promise<void> {
    let message: unknown;
    try {
      message = this.#serializer.deserialize(data);
    } catch {
      return;
    }
    const { id, unique } = (message ?? {}) as { id?: unknown; unique?: unknown };
    if (unique === true && typeof id === "string") {
      await this.#storage().deleteMarker(uniqueMarker(id));
    }
  }

  /** The waiting tasks, in dequeue order (undecodable messages skipped). */
  async pending(limit?: number): Promise<Task[]> {
    return this.#decodeAll(await this.#storage().enqueuedItems(limit));
  }

  /** The scheduled tasks, soonest first (undecodable messages skipped). */
  async scheduled(limit?: number): Promise<Task[]> {
    return this.#decodeAll(await this.#storage().scheduledItems(limit));
  }

  #decodeAll(items: Uint8Array[]): Task[] {
    const tasks: Task[] = [];
    for (const data of items) {
      try {
        tasks.push(this.decode(data));
      } catch (error) {
        logger.warning(`Skipping an undecodable message: ${(error as Error).message}`);
      }
    }
    return tasks;
  }

  /**
   * Puts a dead letter back on the queue with the priority in its message
   * (0 when the message cannot be decoded); `false` for an unknown id.
   */
  async requeueDeadLetter(id: string): Promise<boolean> {
    const storage = this.#storage();
    const letter = await storage.peekDeadLetter(id);
    if (letter === null) return false;
    await storage.enqueue(letter.data, this.#priorityIn(letter.data));
    await storage.takeDeadLetter(id);
    return true;
  }

  /** The priority a message carries, if it can be read and the storage has priorities; else 0. */
  #priorityIn(data: Uint8Array): number {
    if (!this.#storage().priority) return 0;
    try {
      const { priority } = (this.#serializer.deserialize(data) ?? {}) as { priority?: unknown };
      return typeof priority === "number" && Number.isFinite(priority) ? priority : 0;
    } catch {
      return 0;
    }
  }
}
