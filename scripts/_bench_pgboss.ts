/**
 * The benchmark's workloads run with pg-boss on the same PostgreSQL, the
 * same number of tasks and the same concurrency as huey's PostgresHuey:
 * `send()` with calls in flight, `insert()` in bulks, end-to-end processing,
 * and enqueue -> start latency. pg-boss runs in its best set-up for each:
 * `useListenNotify` and queues with `notify: true` (an idle worker is woken
 * by NOTIFY instead of its poll), and, end to end, `localConcurrency`
 * workers that each fetch 10 jobs at a time and fetch again at once while
 * fetches come back full (`burstWhenBatchFull`): with one job per fetch, a
 * pg-boss worker waits out its polling interval between jobs.
 *
 * @module
 */
import postgres from "postgres";
import { type Job, PgBoss } from "pg-boss";
import {
  type BenchConfig,
  bounded,
  countdown,
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

/** Jobs a pg-boss worker fetches at a time, end to end. */
const FETCH_BATCH = 10;

/** Runs `body` with a started pg-boss and a new notify-enabled queue, then deletes the queue. */
async function withBoss<T>(
  config: BenchConfig,
  label: string,
  body: (boss: PgBoss, queue: string) => Promise<T>,
): Promise<T> {
  const boss = new PgBoss({
    connectionString: config.postgresUrl,
    useListenNotify: true,
    schedule: false,
    supervise: false,
    max: 10,
  });
  boss.on("error", (error) => console.error(`pg-boss: ${error.message}`));
  await boss.start();
  const queue = uniqueQueue(`pgboss-${label}`);
  await boss.createQueue(queue, { notify: true });
  try {
    return await body(boss, queue);
  } finally {
    await boss.deleteQueue(queue);
    await boss.stop({ graceful: false });
  }
}

/** `send()` with `inFlight` calls in flight, or `insert()` in bulks of `bulk` jobs. */
export async function bossEnqueueRate(
  config: BenchConfig,
  mode: EnqueueMode,
): Promise<Measurement> {
  const { tasks, inFlight, bulk } = config;
  const value = await withBoss(config, mode, async (boss, queue) => {
    if (mode === "single") {
      return rate(
        tasks,
        await timeInFlight(tasks, inFlight, (i) => boss.send(queue, { value: i })),
      );
    }
    const seconds = await timeBatches(tasks, bulk, (items) => {
      return boss.insert(queue, items.map((value) => ({ data: { value } })));
    });
    return rate(tasks, seconds);
  });
  return enqueueFigure(config, "postgres", mode, value);
}

/**
 * End-to-end processing: `tasks` jobs are inserted first, then `workers`
 * pg-boss workers are started and timed until every job is completed (its
 * output stored), as counted in pg-boss's own table.
 */
export async function bossEndToEnd(
  config: BenchConfig,
  setup: WorkerSetup,
): Promise<Measurement> {
  const { tasks, bulk } = config;
  const sql = postgres(config.postgresUrl, { onnotice: () => {}, max: 1 });
  try {
    const value = await withBoss(config, "e2e", async (boss, queue) => {
      await timeBatches(tasks, bulk, (items) => {
        return boss.insert(queue, items.map((value) => ({ data: { value } })));
      });
      const handled = countdown(tasks);
      const started = performance.now();
      await boss.work<{ value: number }>(queue, {
        localConcurrency: setup.workers,
        batchSize: FETCH_BATCH,
        burstWhenBatchFull: true,
        pollingIntervalSeconds: 0.5,
      }, (jobs: Job<{ value: number }>[]) => {
        for (const _job of jobs) handled.tick();
        return Promise.resolve(jobs.map((job) => job.data.value));
      });
      await bounded("every pg-boss job to run", handled.done);
      await waitFor("every pg-boss job to complete", async () => {
        const [{ n }] = await sql`SELECT count(*)::int AS n FROM pgboss.job
          WHERE name = ${queue} AND state = 'completed'`;
        return n >= tasks;
      }, 20);
      return rate(tasks, (performance.now() - started) / 1000);
    });
    return endToEndFigure("postgres", setup, value);
  } finally {
    await sql.end({ timeout: 1 });
  }
}

/** Enqueue -> start latency with an idle pg-boss worker, woken by NOTIFY (see {@linkcode LatencyProbe}). */
export async function bossLatency(config: BenchConfig): Promise<Measurement[]> {
  const probe = new LatencyProbe();
  return await withBoss(config, "latency", async (boss, queue) => {
    await boss.work<{ sentAt: number }>(queue, { batchSize: 1 }, (jobs) => {
      for (const job of jobs) probe.started(job.data.sentAt);
      return Promise.resolve(null);
    });
    return await probe.run(config.latencySamples, "postgres", (sentAt) => {
      return boss.send(queue, { sentAt });
    });
  });
}
