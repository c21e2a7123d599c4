/**
 * The overview's chart data: tasks completed and runs that failed, per
 * minute, over the last hour, counted from the event log (as `stats()`
 * counts outcomes). One follower per dashboard reads the kept events once,
 * then only those added since its last read.
 *
 * @module
 */
import { outcomesOf, readEventPages } from "../stats.ts";
import type { HueyEvent } from "../event.ts";
import type { Storage } from "../storage/base.ts";

/** Minutes the chart shows. */
export const CHART_MINUTES = 60;
const MINUTE = 60_000;

/** The chart's series: one count per minute, oldest first, the last one the current minute. */
export interface Throughput {
  /** The start of the last minute (epoch ms). */
  readonly end: number;
  /** Tasks completed, per minute. */
  readonly completed: number[];
  /** Runs that failed (retried or for good), per minute. */
  readonly failed: number[];
}

/** Follows the event log and counts outcomes per minute. */
export class ThroughputFollower {
  #storage: Storage;
  #after: string | null = null;
  /** Counts by minute (epoch ms of the minute's start). */
  #minutes = new Map<number, { completed: number; failed: number }>();
  #reading: Promise<void> = Promise.resolve();
  /** The newest events read, newest last (for the live feed). */
  #recent: HueyEvent[] = [];

  /** @param storage Where the event log is. */
  constructor(storage: Storage) {
    this.#storage = storage;
  }

  /** Reads the events added since the last call (one read at a time); resolves to them. */
  update(): Promise<HueyEvent[]> {
    const added: HueyEvent[] = [];
    const reading = this.#reading.catch(() => {}).then(async () => {
      this.#after = await readEventPages(this.#storage, this.#after, (event) => {
        this.#count(event);
        added.push(event);
      });
      this.#recent = [...this.#recent, ...added].slice(-20);
    });
    this.#reading = reading;
    return reading.then(() => added);
  }

  /** The `seq` of the last event read. */
  get after(): string | null {
    return this.#after;
  }

  /** The newest events read (at most 20), oldest first. */
  get recent(): readonly HueyEvent[] {
    return this.#recent;
  }

  #count(event: HueyEvent): void {
    const outcomes = outcomesOf(event);
    const completed = outcomes.includes("completed");
    const failed = outcomes.includes("failed") || outcomes.includes("retried");
    if (!completed && !failed) return;
    const minute = Math.floor(event.at.getTime() / MINUTE) * MINUTE;
    let counts = this.#minutes.get(minute);
    if (counts === undefined) this.#minutes.set(minute, counts = { completed: 0, failed: 0 });
    if (completed) counts.completed++;
    else counts.failed++;
  }

  /** The series of the hour that ends at `now`; older minutes are forgotten. */
  series(now: Date = new Date()): Throughput {
    const end = Math.floor(now.getTime() / MINUTE) * MINUTE;
    const start = end - (CHART_MINUTES - 1) * MINUTE;
    for (const minute of this.#minutes.keys()) {
      if (minute < start) this.#minutes.delete(minute);
    }
    const completed: number[] = [];
    const failed: number[] = [];
    for (let minute = start; minute <= end; minute += MINUTE) {
      const counts = this.#minutes.get(minute);
      completed.push(counts?.completed ?? 0);
      failed.push(counts?.failed ?? 0);
    }
    return { end, completed, failed };
  }
}
