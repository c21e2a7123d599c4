/**
 * `metrics(huey)`: a Huey's metrics in Prometheus's text format (SPEC §10),
 * for a scrape of `/metrics` (the consumer's `--metrics [host:]port` serves
 * it).
 *
 * The counters (`huey_tasks_total`, the `huey_task_duration_seconds`
 * histogram) count the events of the event log, the way celery-exporter
 * counts Celery's: the first call for a Huey reads the kept events, each
 * later call reads those added since, and the counts live in this process
 * (one collector per Huey). A log trimmed to its cap, or emptied, never
 * makes a counter go down; a process that restarts starts again from the
 * kept events, which Prometheus reads as a counter reset. The gauges are
 * read from the storage at each call.
 *
 * @module
 */
import { ExpositionWriter, type Sample } from "./_prometheus.ts";
import type { HueyEvent } from "./event.ts";
import {
  type Outcome,
  outcomesOf,
  readCounts,
  readEventPages,
  type StorageCounts,
  zeroOutcomes,
} from "./stats.ts";
import type { Storage } from "./storage/base.ts";

/** What {@linkcode metrics} reads: a Huey, or anything with its storage. */
export interface MetricsSource {
  /** The storage in use. */
  readonly storage: Storage;
}

/** The upper bounds of the duration histogram's buckets, in seconds (`+Inf` is added). */
export const DURATION_BUCKETS: readonly number[] = [
  0.005,
  0.01,
  0.025,
  0.05,
  0.1,
  0.25,
  0.5,
  1,
  2.5,
  5,
  10,
  30,
  60,
  300,
];

/** The `outcome` label of each outcome. */
const OUTCOME_LABELS: Readonly<Record<Outcome, string>> = {
  completed: "completed",
  failed: "failed",
  retried: "retried",
  revoked: "revoked",
  expired: "expired",
  rateLimited: "rate_limited",
};

/** The counts of one task name since the collector started. */
interface TaskCounters {
  outcomes: Record<Outcome, number>;
  /** How many durations fell in each bucket (not cumulative; the last one is `+Inf`). */
  buckets: number[];
  sum: number;
  count: number;
}

/** Follows a Huey's event log and counts what it says, per task name. */
class Collector {
  #after: string | null = null;
  #tasks = new Map<string, TaskCounters>();
  #reading: Promise<void> = Promise.resolve();

  /** Reads the events added since the last call (one read at a time). */
  update(storage: Storage): Promise<void> {
    this.#reading = this.#reading.catch(() => {}).then(async () => {
      this.#after = await readEventPages(storage, this.#after, (event) => this.#count(event));
    });
    return this.#reading;
  }

  #count(event: HueyEvent): void {
    if (event.name === "") return;
    let task = this.#tasks.get(event.name);
    if (task === undefined) {
      task = {
        outcomes: zeroOutcomes(),
        buckets: new Array(DURATION_BUCKETS.length + 1).fill(0),
        sum: 0,
        count: 0,
      };
      this.#tasks.set(event.name, task);
    }
    for (const outcome of outcomesOf(event)) task.outcomes[outcome]++;
    if (typeof event.duration === "number") {
      const index = DURATION_BUCKETS.findIndex((bound) => event.duration! <= bound);
      task.buckets[index < 0 ? DURATION_BUCKETS.length : index]++;
      task.sum += event.duration;
      task.count++;
    }
  }

  /** The counter families' samples, task names in order. */
  samples(): { totals: Sample[]; durations: Sample[] } {
    const totals: Sample[] = [];
    const durations: Sample[] = [];
    for (const name of [...this.#tasks.keys()].sort()) {
      const task = this.#tasks.get(name)!;
      for (const [outcome, label] of Object.entries(OUTCOME_LABELS)) {
        const value = task.outcomes[outcome as Outcome];
        totals.push({ name: "huey_tasks_total", labels: { task: name, outcome: label }, value });
      }
      let cumulative = 0;
      for (const [index, count] of task.buckets.entries()) {
        cumulative += count;
        const bound = index < DURATION_BUCKETS.length ? String(DURATION_BUCKETS[index]) : "+Inf";
        durations.push({
          name: "huey_task_duration_seconds_bucket",
          labels: { task: name, le: bound },
          value: cumulative,
        });
      }
      durations.push({
        name: "huey_task_duration_seconds_sum",
        labels: { task: name },
        value: task.sum,
      });
      durations.push({
        name: "huey_task_duration_seconds_count",
        labels: { task: name },
        value: task.count,
      });
    }
    return { totals, durations };
  }
}

const collectors = new WeakMap<MetricsSource, Collector>();

/** The gauges: each family's name, help, and the count it shows. */
const GAUGES: ReadonlyArray<readonly [string, string, (counts: StorageCounts) => number]> = [
  ["huey_queue_pending", "Tasks waiting in the queue.", (counts) => counts.pending],
  ["huey_queue_scheduled", "Tasks in the schedule.", (counts) => counts.scheduled],
  ["huey_tasks_running", "Tasks the consumers' workers run.", (counts) => counts.running],
  ["huey_dead_letters", "Messages moved to the dead letters.", (counts) => counts.deadLetters],
  [
    "huey_failures",
    "Tasks that failed for good (the failure records kept).",
    (counts) => counts.failures,
  ],
  [
    "huey_consumers",
    "Consumers whose heartbeat has not expired.",
    (counts) => counts.consumers.length,
  ],
];

/**
 * A Huey's metrics in Prometheus's text format (version 0.0.4):
 * `huey_tasks_total{task,outcome}` (counter; outcomes `completed`,
 * `failed`, `retried`, `revoked`, `expired`, `rate_limited`, as
 * `huey.stats()` counts them), `huey_task_duration_seconds{task}`
 * (histogram), and the gauges `huey_queue_pending`, `huey_queue_scheduled`,
 * `huey_tasks_running`, `huey_dead_letters`, `huey_failures` and
 * `huey_consumers`. Serve it with the content type
 * `text/plain; version=0.0.4; charset=utf-8`.
 *
 * @param huey The Huey (its storage is read).
 * @returns The page's text.
 *
 * @example
 * ```ts
 * import { MemoryHuey, metrics } from "./mod.ts";
 * const huey = new MemoryHuey("metrics");
 * const page = await metrics(huey);
 * console.assert(page.includes("huey_queue_pending 0"));
 * ```
 */
export async function metrics(huey: MetricsSource): Promise<string> {
  let collector = collectors.get(huey);
  if (collector === undefined) collectors.set(huey, collector = new Collector());
  const storage = huey.storage;
  const [counts] = await Promise.all([readCounts(storage), collector.update(storage)]);
  const { totals, durations } = collector.samples();
  const page = new ExpositionWriter();
  page.family("huey_tasks_total", "counter", "Task outcomes, by task name.", totals);
  page.family(
    "huey_task_duration_seconds",
    "histogram",
    "Seconds a task's run took (completed and failed runs).",
    durations,
  );
  for (const [name, help, value] of GAUGES) {
    page.family(name, "gauge", help, [{ name, value: value(counts) }]);
  }
  return page.text();
}

/** The content type of {@linkcode metrics}' text. */
export const METRICS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";
