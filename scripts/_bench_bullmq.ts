/**
 * The benchmark's workloads run with BullMQ on the same Redis, the same
 * number of tasks and the same concurrency as huey's, measured the same way:
 * `add()` with calls in flight, `addBulk()`, end-to-end processing with
 * in-process and sandboxed (worker thread) workers, and enqueue -> start latency. BullMQ uses its
 * default Redis driver, ioredis.
 *
 * @module
 */
import { fileURLToPath } from "node:url";
import { type ConnectionOptions, type Job, Queue, Worker } from "bullmq";
import {
  type BenchConfig,
  COMPLETION_POLL_MS,
  endToEndFigure,
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

const processorFile = fileURLToPath(new URL("./_bench_bullmq_processor.ts", import.meta.url));

/** ioredis options for the bench's Redis URL. */
export function bullConnection(redisUrl: string): ConnectionOptions {
  const url = new URL(redisUrl);
  return { host: url.hostname, port: Number(url.port), maxRetriesPerRequest: null };
}

/** Runs `body` with a new queue, then removes the queue and its jobs and closes it. */
async function withQueue<T>(
  config: BenchConfig,
  label: string,
  body: (queue: Queue) => Promise<T>,
): Promise<T> {
  const queue = new Queue(uniqueQueue(`bull-${label}`), {
    connection: bullConnection(config.redisUrl),
  });
  try {
    return await body(queue);
  } finally {
    await queue.obliterate({ force: true });
    await queue.close();
  }
}

/** `add()` with `inFlight` calls in flight, or `addBulk()` in bulks of `bulk` jobs. */
export async function bullEnqueueRate(
  config: BenchConfig,
  mode: EnqueueMode,
): Promise<Measurement> {
  const value = await withQueue(config, mode, async (queue) => {
    return rate(config.tasks, await addAll(config, queue, mode));
  });
  return enqueueFigure(config, "redis", mode, value);
}

/**
 * Adds `tasks` jobs: `add()` with `inFlight` calls awaited together, or
 * `addBulk()` in bulks of `bulk`.
 *
 * @returns The seconds it took.
 */
function addAll(config: BenchConfig, queue: Queue, mode: EnqueueMode): Promise<number> {
  const { tasks, inFlight, bulk } = config;
  if (mode === "single") {
    return timeInFlight(tasks, inFlight, (i) => queue.add("echo", { value: i }));
  }
  return timeBatches(tasks, bulk, (items) => {
    return queue.addBulk(items.map((value) => ({ name: "echo", data: { value } })));
  });
}

/**
 * End-to-end processing, measured as huey's is: `tasks` jobs are added
 * first (`enqueue`), then one Worker is started (in-process with
 * `concurrency`, or sandboxed in worker threads) and timed until the count
 * of completed jobs (their return values stored) reaches `tasks`, read every
 * {@linkcode COMPLETION_POLL_MS} ms.
 */
export async function bullEndToEnd(
  config: BenchConfig,
  setup: WorkerSetup,
  enqueue: EnqueueMode = "map",
): Promise<Measurement> {
  const { tasks } = config;
  const { workerType, workers } = setup;
  const value = await withQueue(config, `e2e-${workerType}`, async (queue) => {
    await addAll(config, queue, enqueue);
    const started = performance.now();
    const worker = workerType === "greenlet"
      ? new Worker(queue.name, (job: Job) => Promise.resolve(job.data.value), {
        connection: bullConnection(config.redisUrl),
        concurrency: workers,
      })
      : new Worker(queue.name, processorFile, {
        connection: bullConnection(config.redisUrl),
        concurrency: workers,
        useWorkerThreads: true,
      });
    try {
      await waitFor(
        "every BullMQ job to complete",
        async () => (await queue.getCompletedCount()) >= tasks,
        COMPLETION_POLL_MS,
      );
      return rate(tasks, (performance.now() - started) / 1000);
    } finally {
      await worker.close();
    }
  });
  return endToEndFigure("redis", setup, value, { enqueue });
}

/** Enqueue -> start latency with an idle Worker of concurrency 1 (see {@linkcode LatencyProbe}). */
export async function bullLatency(config: BenchConfig): Promise<Measurement[]> {
  const probe = new LatencyProbe();
  return await withQueue(config, "latency", async (queue) => {
    const worker = new Worker(queue.name, (job: Job) => {
      probe.started(job.data.sentAt);
      return Promise.resolve(null);
    }, { connection: bullConnection(config.redisUrl), concurrency: 1 });
    try {
      await worker.waitUntilReady();
      return await probe.run(config.latencySamples, "redis", (sentAt) => {
        return queue.add("ping", { sentAt });
      });
    } finally {
      await worker.close();
    }
  });
}
