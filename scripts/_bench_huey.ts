/**
 * The benchmark's workloads run with huey: enqueue throughput (single calls
 * or `map()`), end-to-end processing with greenlet and thread workers (quiet
 * or at INFO), and enqueue -> start latency, on Redis, Redis Cluster, SQLite
 * and PostgreSQL. Each runs in a child process of its own (`_bench_child.ts`).
 *
 * @module
 */
import { join } from "node:path";
import process from "node:process";
import type { Consumer } from "../consumer/supervisor.ts";
import {
  BENCH_TARGET_ENV,
  type BenchApp,
  type BenchTarget,
  createBenchHuey,
} from "./_bench_app.ts";
import { configureLogging } from "../logger.ts";
import {
  type BenchConfig,
  bounded,
  COMPLETION_POLL_MS,
  endToEndFigures,
  type EndToEndVariant,
  enqueueFigure,
  type EnqueueMode,
  LatencyProbe,
  type Measurement,
  rate,
  timeBatches,
  timeInFlight,
  uniqueQueue,
  waitFor,
  type WorkerSetup,
} from "./_bench_common.ts";

type StorageKind = BenchTarget["storage"];

const appUrl = new URL("./_bench_app.ts", import.meta.url).href;
let files = 0;

/** A fresh queue (and, for SQLite, a fresh file) for one workload. */
export function benchTarget(config: BenchConfig, storage: StorageKind, label: string): BenchTarget {
  const queue = uniqueQueue(label);
  if (storage === "redis") return { storage, queue, url: config.redisUrl };
  if (storage === "postgres") return { storage, queue, url: config.postgresUrl };
  if (storage === "cluster") return { storage, queue, url: config.clusterNodes };
  return { storage, queue, filename: join(config.folder, `bench-${++files}.db`) };
}

/** Runs `body` with a bench app on a fresh target, then empties the queue and closes it. */
async function withApp<T>(
  config: BenchConfig,
  storage: StorageKind,
  label: string,
  body: (app: BenchApp, target: BenchTarget) => Promise<T>,
  events = true,
): Promise<T> {
  const target = { ...benchTarget(config, storage, label), events };
  const app = createBenchHuey(target);
  try {
    return await body(app, target);
  } finally {
    await app.huey.flush();
    await app.huey.close();
  }
}

/** Enqueue throughput: `tasks` calls of a task, `inFlight` at a time, or `map()` in bulks. */
export async function enqueueRate(
  config: BenchConfig,
  storage: StorageKind,
  mode: EnqueueMode,
): Promise<Measurement> {
  const value = await withApp(config, storage, `enqueue-${mode}`, async ({ echo }) => {
    return rate(config.tasks, await enqueueAll(config, echo, mode));
  });
  return enqueueFigure(config, storage, mode, value);
}

/**
 * Enqueues `tasks` calls of `echo(i)`: one call at a time with `inFlight`
 * awaited together, or `map()` in bulks of `bulk`.
 *
 * @returns The seconds it took.
 */
function enqueueAll(
  config: BenchConfig,
  echo: BenchApp["echo"],
  mode: EnqueueMode,
): Promise<number> {
  const { tasks, inFlight, bulk } = config;
  if (mode === "single") return timeInFlight(tasks, inFlight, (i) => echo(i));
  return timeBatches(tasks, bulk, (items) => echo.map(items));
}

/**
 * End-to-end processing as a user's program measures it: in one process,
 * `tasks` tasks are enqueued (`variant.enqueue`), then a consumer of the same
 * Huey is started (`huey.createConsumer({ workerType, workers })`) and timed
 * until the result store holds every result, read every
 * {@linkcode COMPLETION_POLL_MS} ms. With `variant.logging` `"info"` the
 * consumer logs at huey's default level (two lines per task) to this
 * process's standard error; `"quiet"` is WARNING, as `-q`. Gives the rate
 * and the processor time this process spent per task meanwhile (its
 * threads' too: the consumer, its thread workers, SQLite; not a storage
 * server's, nor process workers').
 */
export async function endToEnd(
  config: BenchConfig,
  storage: StorageKind,
  setup: WorkerSetup,
  variant: EndToEndVariant = {},
): Promise<Measurement[]> {
  const { tasks } = config;
  const { workerType, workers } = setup;
  const quiet = (variant.logging ?? "quiet") === "quiet";
  if (quiet) configureLogging({ level: "WARNING" });
  const value = await withApp(config, storage, `e2e-${workerType}`, async (app, target) => {
    await enqueueAll(config, app.echo, variant.enqueue ?? "map");
    process.env[BENCH_TARGET_ENV] = JSON.stringify(target);
    const consumer = app.huey.createConsumer({
      workerType,
      workers,
      periodic: false,
      module: workerType === "greenlet" ? undefined : { url: appUrl },
    }, quiet ? { verbose: false } : {});
    const started = performance.now();
    const cpu = process.cpuUsage();
    const running = consumer.run();
    try {
      const { storage } = app.huey;
      await waitFor(
        "every result",
        async () => (await storage.resultStoreSize()) >= tasks,
        COMPLETION_POLL_MS,
      );
      const { user, system } = process.cpuUsage(cpu);
      const tasksPerSecond = rate(tasks, (performance.now() - started) / 1000);
      return { tasksPerSecond, cpu: (user + system) / tasks };
    } finally {
      await stopConsumer(consumer, running);
    }
  }, variant.events ?? true);
  return endToEndFigures(storage, setup, value.tasksPerSecond, value.cpu, variant);
}

async function stopConsumer(consumer: Consumer, running: Promise<void>): Promise<void> {
  await bounded("the consumer to stop", Promise.all([consumer.stop(), running]));
}

/**
 * Enqueue -> start latency with an idle consumer: one greenlet worker,
 * blocked on an empty queue (see {@linkcode LatencyProbe}).
 */
export async function latency(config: BenchConfig, storage: StorageKind): Promise<Measurement[]> {
  const probe = new LatencyProbe();
  return await withApp(config, storage, "latency", async (producer, target) => {
    const own = createBenchHuey(target, { onPing: probe.started });
    const consumer = own.huey.createConsumer({
      workerType: "greenlet",
      workers: 1,
      periodic: false,
    });
    const running = consumer.run();
    try {
      return await probe.run(config.latencySamples, storage, (sentAt) => producer.ping(sentAt));
    } finally {
      await stopConsumer(consumer, running);
      await own.huey.close();
    }
  });
}
