/**
 * What both sides of the benchmark share: the workload settings, timing,
 * percentiles, bounded waits and the shape of one measurement.
 *
 * @module
 */
import { setTimeout as delay } from "node:timers/promises";

/** The settings of one benchmark run. */
export interface BenchConfig {
  /** Tasks per enqueue and end-to-end workload. */
  tasks: number;
  /** Tasks queued before each CLI run. */
  cliTasks: number;
  /** Calls in flight at a time in the enqueue workload. */
  inFlight: number;
  /** Tasks per `map()` / `addBulk()` call. */
  bulk: number;
  /** Greenlet (async) concurrencies of the end-to-end workload. */
  concurrencies: number[];
  /** Thread workers of the end-to-end workload. */
  threads: number;
  /** Enqueue -> start samples. */
  latencySamples: number;
  /** Tasks after which consumer memory is read: the first and the last checkpoint. */
  rssCheckpoints: [number, number];
  /** The Redis server's URL. */
  redisUrl: string;
  /** The Redis Cluster's node URLs, comma-separated (`""`: the cluster workloads are not run). */
  clusterNodes: string;
  /** The PostgreSQL server's URL (`""`: the Postgres workloads are not run). */
  postgresUrl: string;
  /** A folder for SQLite files. */
  folder: string;
}

/** What a measurement is in: higher is better for rates, lower for the others. */
export type Unit = "tasks/s" | "ms" | "MB" | "us/task";

/** One figure of one system. */
export interface Measurement {
  /** Identifies the workload across systems, e.g. `e2e.greenlet.10`. */
  key: string;
  /** What the row says, e.g. `end-to-end, greenlet x10`. */
  label: string;
  /** The storage the figure was measured on. */
  storage: "redis" | "cluster" | "sqlite" | "postgres";
  unit: Unit;
  value: number;
}

/** How tasks are enqueued: one call at a time (`inFlight` awaited together), or `map()` in bulks. */
export type EnqueueMode = "single" | "map";

/** What a consumer logs: huey's default (INFO: two lines per task) or WARNING and above (`-q`). */
export type LogLevel = "info" | "quiet";

/** Milliseconds between two reads of the result count while an end-to-end workload runs. */
export const COMPLETION_POLL_MS = 20;

/** How a consumer runs its tasks in the end-to-end workload. */
export interface WorkerSetup {
  /** Async workers in the consumer's process, or worker threads. */
  workerType: "greenlet" | "thread";
  /** How many: the concurrency. */
  workers: number;
}

/** The two enqueue figures of one system on one storage, in tasks per second. */
export function enqueueFigures(
  config: BenchConfig,
  storage: Measurement["storage"],
  rates: { single: number; bulk: number },
): Measurement[] {
  const unit = "tasks/s";
  return [
    {
      key: "enqueue.inflight",
      label: `enqueue, ${config.inFlight} calls in flight`,
      storage,
      unit,
      value: rates.single,
    },
    {
      key: "enqueue.bulk",
      label: `enqueue, map() of ${config.bulk}`,
      storage,
      unit,
      value: rates.bulk,
    },
  ];
}

/** The enqueue figure of one system on one storage, in tasks per second. */
export function enqueueFigure(
  config: BenchConfig,
  storage: Measurement["storage"],
  mode: EnqueueMode,
  value: number,
): Measurement {
  return enqueueFigures(config, storage, { single: value, bulk: value })[mode === "map" ? 1 : 0];
}

/** How an end-to-end workload was run, beside its worker setup. */
export interface EndToEndVariant {
  /** How its tasks were enqueued. @default "map" */
  enqueue?: EnqueueMode;
  /** What its consumer logged. @default "quiet" */
  logging?: LogLevel;
  /** Its consumer published events (the Huey option `events`). @default true */
  events?: boolean;
}

/**
 * The end-to-end figure of one system, in tasks per second. The key names
 * the variant: `e2e.greenlet.50`, `e2e.greenlet.50.single` (enqueued by
 * single calls), `e2e.greenlet.50.info` (INFO logging).
 */
export function endToEndFigure(
  storage: Measurement["storage"],
  { workerType, workers }: WorkerSetup,
  value: number,
  { enqueue = "map", logging = "quiet", events = true }: EndToEndVariant = {},
): Measurement {
  let key = `e2e.${workerType}.${workers}`;
  let label = `end-to-end, ${workerType} x${workers}`;
  if (enqueue === "single") {
    key += ".single";
    label += ", enqueued by single calls";
  }
  if (logging === "info") {
    key += ".info";
    label += ", INFO logging";
  }
  if (!events) {
    key += ".noevents";
    label += ", events off";
  }
  return { key, label, storage, unit: "tasks/s", value };
}

/**
 * huey's end-to-end figures: the rate ({@linkcode endToEndFigure}) and the
 * processor time per task of the process that ran the consumer (key
 * `cpu.<the rate's key>`): where the rate's time goes. On a shared virtual
 * machine it moves from run to run too (it counts V8's helper threads and
 * the host's steal time: see docs/performance.md, "What events cost").
 */
export function endToEndFigures(
  storage: Measurement["storage"],
  setup: WorkerSetup,
  value: number,
  cpu: number,
  variant: EndToEndVariant = {},
): Measurement[] {
  const figure = endToEndFigure(storage, setup, value, variant);
  return [figure, {
    key: `cpu.${figure.key}`,
    label: `processor time per task, ${figure.label}`,
    storage,
    unit: "us/task",
    value: cpu,
  }];
}

/**
 * Measures enqueue -> start latency: one task at a time, each enqueued
 * after a short random pause (so that the consumer is idle, blocked on an
 * empty queue); the task calls {@linkcode LatencyProbe.started} with the
 * `performance.now()` its enqueue call began at. The first 20 samples warm up.
 */
export class LatencyProbe {
  #samples: number[] = [];
  #started: (() => void) | null = null;

  /** Called by the task when it starts. */
  started = (sentAt: number): void => {
    this.#samples.push(performance.now() - sentAt);
    this.#started?.();
  };

  /**
   * Sends `count` tasks through `send(sentAt)` and waits for each to start.
   *
   * @returns The p50 and p99 figures, in ms.
   */
  async run(
    count: number,
    storage: Measurement["storage"],
    send: (sentAt: number) => Promise<unknown>,
  ): Promise<Measurement[]> {
    const warmUp = 20;
    for (let i = 0; i < count + warmUp; i++) {
      await pause(2);
      const start = new Promise<void>((resolve) => (this.#started = resolve));
      await send(performance.now());
      await bounded("a task to start", start);
    }
    const sorted = this.#samples.slice(warmUp).sort((a, b) => a - b);
    return [0.5, 0.99].map((fraction) => ({
      key: `latency.p${fraction * 100}`,
      label: `enqueue -> start latency, p${fraction * 100}`,
      storage,
      unit: "ms" as const,
      value: percentile(sorted, fraction),
    }));
  }
}

/** Seconds a single workload may take before the bench gives up. */
export const WORKLOAD_TIMEOUT = 300;

/**
 * Runs `call(0)` ... `call(total - 1)` with `width` calls in flight at a time.
 *
 * @returns The seconds it took.
 */
export async function timeInFlight(
  total: number,
  width: number,
  call: (index: number) => Promise<unknown>,
): Promise<number> {
  let next = 0;
  const started = performance.now();
  const lane = async (): Promise<void> => {
    while (next < total) await call(next++);
  };
  await Promise.all(Array.from({ length: Math.min(width, total) }, lane));
  return (performance.now() - started) / 1000;
}

/**
 * Runs `call` on consecutive slices of `0 .. total - 1` of at most `size` items, one after the other.
 *
 * @returns The seconds it took.
 */
export async function timeBatches(
  total: number,
  size: number,
  call: (items: number[]) => Promise<unknown>,
): Promise<number> {
  const started = performance.now();
  for (let start = 0; start < total; start += size) {
    const end = Math.min(total, start + size);
    await call(Array.from({ length: end - start }, (_, i) => start + i));
  }
  return (performance.now() - started) / 1000;
}

/**
 * Polls `done` every `every` ms until it holds.
 *
 * @throws {Error} It did not hold within {@linkcode WORKLOAD_TIMEOUT} seconds; `what` says what was awaited.
 */
export async function waitFor(
  what: string,
  done: () => boolean | Promise<boolean>,
  every = 5,
): Promise<void> {
  const deadline = performance.now() + WORKLOAD_TIMEOUT * 1000;
  while (!(await done())) {
    if (performance.now() > deadline) {
      throw new Error(`Gave up after ${WORKLOAD_TIMEOUT}s waiting for ${what}`);
    }
    await delay(every);
  }
}

/** A promise with its resolve function, and a counter that resolves it at `target`. */
export function countdown(target: number): { tick: () => void; done: Promise<void> } {
  let count = 0;
  let resolve!: () => void;
  const done = new Promise<void>((settle) => (resolve = settle));
  if (target <= 0) resolve();
  return {
    tick: () => {
      if (++count === target) resolve();
    },
    done,
  };
}

/**
 * Resolves to `promise`'s value, or rejects after {@linkcode WORKLOAD_TIMEOUT} seconds naming `what`.
 */
export async function bounded<T>(what: string, promise: Promise<T>): Promise<T> {
  const controller = new AbortController();
  const timeout = delay(WORKLOAD_TIMEOUT * 1000, undefined, { signal: controller.signal }).then(
    () => {
      throw new Error(`Gave up after ${WORKLOAD_TIMEOUT}s waiting for ${what}`);
    },
    () => undefined as never,
  );
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    controller.abort();
  }
}

/** The value below which `fraction` of the sorted samples fall (nearest rank). */
export function percentile(sorted: readonly number[], fraction: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.ceil(fraction * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}

/** Throughput in tasks per second. */
export function rate(tasks: number, seconds: number): number {
  return tasks / seconds;
}

/** A queue name no earlier run used. */
export function uniqueQueue(label: string): string {
  return `bench-${label}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 6)}`;
}

/** A random pause of up to `maxMs` ms, so that the consumer is idle again before the next sample. */
export function pause(maxMs: number): Promise<void> {
  return delay(1 + Math.random() * maxMs);
}
