/**
 * The consumer's scheduler: every few seconds it moves due scheduled tasks to
 * the queue, a batch per atomic storage step (`Storage.moveDue`), so a crash
 * leaves each task either scheduled or queued; once per minute it enqueues
 * the periodic tasks whose schedule matches, at most once per minute across
 * every consumer: the enqueue and the minute's marker are one atomic storage
 * step (`Storage.enqueueOnce`), retried on the next tick when it fails.
 *
 * @module
 */
import { getLogger } from "../logger.ts";
import { SIGNAL_ENQUEUED } from "../signals.ts";
import type { Task } from "../task.ts";
import { sleep } from "../_runtime.ts";
import { type ConsumerHost, WORKER } from "./host.ts";
import { StorageWatch } from "./storage_watch.ts";

/** Options of the {@linkcode Scheduler}. */
export interface SchedulerOptions {
  /** Seconds between schedule reads. @default 1 */
  interval?: number;
  /** Enqueue periodic tasks. @default true */
  periodic?: boolean;
  /** The clock. @default () => new Date() */
  clock?: () => Date;
  /** Due scheduled tasks moved to the queue per storage step. @default 500 */
  batchSize?: number;
  /**
   * Tells storage outages once and paces the retries (the consumer shares
   * its watch with its greenlet workers). @default a watch of its own
   */
  watch?: StorageWatch;
}

/** Seconds a minute's periodic marker is kept: long past the minute, so a stalled consumer cannot repeat it. */
const PERIODIC_MARKER_TTL = 3600;

const logger = getLogger("huey.consumer");

/** Moves scheduled tasks to the queue and enqueues periodic tasks. */
export class Scheduler {
  #huey: ConsumerHost;
  #interval: number;
  #periodic: boolean;
  #clock: () => Date;
  #batchSize: number;
  #lastMinute = -1;
  /** Minutes whose periodic enqueue failed (storage down), retried on the next ticks. */
  #owed: Date[] = [];
  #watch: StorageWatch;
  /** Seconds to wait before the next tick after a storage failure, else 0. */
  #retryIn = 0;

  /**
   * @param huey The consumer's Huey.
   * @param options See {@linkcode SchedulerOptions}.
   */
  constructor(huey: ConsumerHost, options: SchedulerOptions = {}) {
    const { interval = 1, periodic = true, clock = () => new Date(), batchSize = 500 } = options;
    this.#huey = huey;
    this.#batchSize = batchSize;
    this.#interval = interval;
    this.#periodic = periodic;
    this.#clock = clock;
    this.#watch = options.watch ?? new StorageWatch();
  }

  /**
   * One step: move the due scheduled tasks to the queue and, at a new minute,
   * enqueue the periodic tasks due (first those of minutes that failed).
   */
  async tick(now: Date = this.#clock()): Promise<void> {
    this.#retryIn = 0;
    try {
      const moved = await this.moveDue(now);
      if (moved) logger.debug(`Enqueued ${moved} scheduled task(s)`);
      this.#watch.succeeded();
    } catch (error) {
      this.#retryIn = this.#watch.failed("Moving due scheduled tasks", error);
    }
    if (!this.#periodic) return;
    const minute = Math.floor(now.getTime() / 60_000);
    if (minute !== this.#lastMinute) {
      this.#lastMinute = minute;
      this.#owed.push(now);
    }
    // The markers outlive a minute by PERIODIC_MARKER_TTL only: older runs could double.
    const oldest = now.getTime() - PERIODIC_MARKER_TTL * 1000;
    this.#owed = this.#owed.filter((owed) => owed.getTime() > oldest);
    while (this.#owed.length > 0) {
      try {
        await this.enqueuePeriodic(this.#owed[0]);
      } catch (error) {
        this.#retryIn = this.#watch.failed("Enqueueing periodic tasks", error);
        return;
      }
      this.#owed.shift();
    }
  }

  /**
   * Moves every scheduled task due at `now` to the queue, one storage step
   * per batch, until fewer than a batch are due. Emits `SIGNAL_ENQUEUED` for
   * each task moved when a handler listens.
   *
   * @returns How many tasks were moved.
   */
  async moveDue(now: Date): Promise<number> {
    let moved = 0;
    while (true) {
      const batch = await this.#huey.storage.moveDue(now.getTime(), this.#batchSize);
      moved += batch.length;
      if (this.#huey.signals.has(SIGNAL_ENQUEUED)) await this.#announce(batch);
      if (batch.length < this.#batchSize) return moved;
    }
  }

  /** Emits `SIGNAL_ENQUEUED` for moved messages; one that cannot be decoded is left to the worker that dequeues it. */
  async #announce(batch: Uint8Array[]): Promise<void> {
    for (const data of batch) {
      let task: Task;
      try {
        task = this.#huey.deserializeTask(data);
      } catch {
        continue;
      }
      this.#huey[WORKER].events.claim(task);
      await this.#huey.signals.emit(SIGNAL_ENQUEUED, task);
    }
  }

  /**
   * Enqueues the periodic tasks matching `now`'s minute, unless another
   * consumer (or this one, before a restart) already did for that minute:
   * the enqueue and the minute's marker are one atomic storage step, so a
   * failure enqueues nothing and can be retried.
   *
   * @returns The tasks enqueued.
   */
  async enqueuePeriodic(now: Date): Promise<number> {
    const tasks = await this.#huey.readPeriodic(now);
    if (tasks.length === 0) return 0;
    const minute = new Date(Math.floor(now.getTime() / 60_000) * 60_000).toISOString().slice(0, 16);
    const marker = `${this.#huey.name}.periodic.${minute}`;
    const items = tasks.map((task) => this.#huey[WORKER].item(task));
    const ttl = PERIODIC_MARKER_TTL;
    if (!(await this.#huey.storage.enqueueOnce(marker, items, { ttl }))) {
      logger.debug(`Periodic tasks of ${minute} were enqueued by another consumer`);
      return 0;
    }
    for (const task of tasks) {
      logger.info(`Enqueueing periodic task ${task}.`);
      if (this.#huey.signals.has(SIGNAL_ENQUEUED)) {
        this.#huey[WORKER].events.claim(task);
        await this.#huey.signals.emit(SIGNAL_ENQUEUED, task);
      }
    }
    return tasks.length;
  }

  /**
   * Ticks every `interval` seconds, on the interval's boundaries, until
   * `signal` aborts; while the storage fails, no more often than its watch says.
   */
  async run(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      await this.tick();
      const period = this.#interval * 1000;
      const now = this.#clock().getTime();
      await sleep(Math.max((period - (now % period)) / 1000, this.#retryIn), signal);
    }
  }
}
