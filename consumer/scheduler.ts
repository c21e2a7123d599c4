/**
 * The consumer's scheduler: every few seconds it moves due scheduled tasks to
 * the queue; once per minute it enqueues the periodic tasks whose schedule
 * matches — at most once per minute across every consumer, thanks to a lock
 * per minute in the storage.
 *
 * @module
 */
import type { Huey } from "../huey.ts";
import { getLogger } from "../logger.ts";
import { sleep } from "../_runtime.ts";

/** Options of the {@linkcode Scheduler}. */
export interface SchedulerOptions {
  /** Seconds between schedule reads. @default 1 */
  interval?: number;
  /** Enqueue periodic tasks. @default true */
  periodic?: boolean;
  /** The clock. @default () => new Date() */
  clock?: () => Date;
}

/** Seconds a minute's periodic lock is kept: long past the minute, so a stalled consumer cannot repeat it. */
const PERIODIC_LOCK_TTL = 3600;

const logger = getLogger("huey.consumer");

/** Moves scheduled tasks to the queue and enqueues periodic tasks. */
export class Scheduler {
  #huey: Huey;
  #interval: number;
  #periodic: boolean;
  #clock: () => Date;
  #lastMinute = -1;

  /**
   * @param huey The consumer's Huey.
   * @param options See {@linkcode SchedulerOptions}.
   */
  constructor(huey: Huey, options: SchedulerOptions = {}) {
    const { interval = 1, periodic = true, clock = () => new Date() } = options;
    this.#huey = huey;
    this.#interval = interval;
    this.#periodic = periodic;
    this.#clock = clock;
  }

  /** One step: read the schedule and, at a new minute, enqueue the periodic tasks due. */
  async tick(now: Date = this.#clock()): Promise<void> {
    try {
      const moved = await this.#huey.readSchedule(now);
      if (moved.length) logger.debug(`Enqueued ${moved.length} scheduled task(s)`);
    } catch (error) {
      logger.exception("Error reading the schedule", error);
    }
    const minute = Math.floor(now.getTime() / 60_000);
    if (this.#periodic && minute !== this.#lastMinute) {
      this.#lastMinute = minute;
      await this.enqueuePeriodic(now).catch((error) =>
        logger.exception("Error enqueueing periodic tasks", error)
      );
    }
  }

  /**
   * Enqueues the periodic tasks matching `now`'s minute, unless another
   * consumer (or this one, before a restart) already did for that minute.
   *
   * @returns The tasks enqueued.
   */
  async enqueuePeriodic(now: Date): Promise<number> {
    const tasks = await this.#huey.readPeriodic(now);
    if (tasks.length === 0) return 0;
    const minute = new Date(Math.floor(now.getTime() / 60_000) * 60_000).toISOString().slice(0, 16);
    const lock = `${this.#huey.name}.periodic.${minute}`;
    const value = this.#huey.serializer.serialize(1);
    if (!(await this.#huey.storage.putIfEmpty(lock, value, { ttl: PERIODIC_LOCK_TTL }))) {
      logger.debug(`Periodic tasks of ${minute} were enqueued by another consumer`);
      return 0;
    }
    for (const task of tasks) {
      logger.info(`Enqueueing periodic task ${task}.`);
      await this.#huey.enqueue(task);
    }
    return tasks.length;
  }

  /** Ticks every `interval` seconds, on the interval's boundaries, until `signal` aborts. */
  async run(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      await this.tick();
      const period = this.#interval * 1000;
      const now = this.#clock().getTime();
      await sleep((period - (now % period)) / 1000, signal);
    }
  }
}
