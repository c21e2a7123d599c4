/**
 * The benchmark's workloads run with huey: enqueue throughput, end-to-end
 * processing with greenlet and thread workers, and enqueue -> start latency,
 * on Redis, on SQLite and on PostgreSQL.
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
import {
  type BenchConfig,
  bounded,
  endToEndFigure,
  enqueueFigures,
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
): Promise<T> {
  const target = benchTarget(config, storage, label);
  const app = createBenchHuey(target);
  try {
    return await body(app, target);
  } finally {
    await app.huey.flush();
    await app.huey.close();
  }
}

/** Enqueue throughput: `tasks` calls of a task, `inFlight` at a time, then `map()` in bulks. */
export async function enqueueThroughput(
  config: BenchConfig,
  storage: StorageKind,
): Promise<Measurement[]> {
  const { tasks, inFlight, bulk } = config;
  const single = await withApp(config, storage, "enqueue", async ({ echo }) => {
    return rate(tasks, await timeInFlight(tasks, inFlight, (i) => echo(i)));
  });
  const bulked = await withApp(config, storage, "map", async ({ echo }) => {
    return rate(tasks, await timeBatches(tasks, bulk, (items) => echo.map(items)));
  });
  return enqueueFigures(config, storage, { single, bulk: bulked });
}

/**
 * End-to-end processing: `tasks` tasks are enqueued first, then one consumer
 * is started and timed until every result is stored (and every message acked).
 */
export async function endToEnd(
  config: BenchConfig,
  storage: StorageKind,
  setup: WorkerSetup,
): Promise<Measurement> {
  const { tasks, bulk } = config;
  const { workerType, workers } = setup;
  const value = await withApp(config, storage, `e2e-${workerType}`, async (producer, target) => {
    let last = "";
    await timeBatches(tasks, bulk, async (items) => {
      const group = await producer.echo.map(items);
      last = group.results[group.length - 1].id;
    });
    const own = workerType === "greenlet" ? createBenchHuey(target) : null;
    process.env[BENCH_TARGET_ENV] = JSON.stringify(target);
    const consumer = (own ?? producer).huey.createConsumer({
      workerType,
      workers,
      periodic: false,
      module: workerType === "thread" ? { url: appUrl } : undefined,
    }, { verbose: false });
    const started = performance.now();
    const running = consumer.run();
    try {
      const storageOf = producer.huey.storage;
      await waitFor("the last result", () => storageOf.hasDataForKey(last));
      await waitFor("every result", async () => (await storageOf.resultStoreSize()) >= tasks);
      return rate(tasks, (performance.now() - started) / 1000);
    } finally {
      await stopConsumer(consumer, running);
      await own?.huey.close();
    }
  });
  return endToEndFigure(storage, setup, value);
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
