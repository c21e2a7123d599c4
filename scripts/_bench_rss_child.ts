/**
 * The consumer whose memory the benchmark reads, in a process of its own:
 * huey's greenlet consumer or a BullMQ Worker, with `concurrency` async
 * workers on a Redis queue. It counts the tasks it runs and, when the count
 * reaches each checkpoint, collects garbage (when the runtime lets it) and
 * prints its resident set size as a JSON line; after the last checkpoint it
 * stops and exits.
 *
 * Usage: `<runtime> scripts/_bench_rss_child.ts '<RssChildSetup as JSON>'`
 *
 * @module
 */
import process from "node:process";
import type { Job } from "bullmq";
import { configureLogging } from "../logger.ts";
import { createBenchHuey } from "./_bench_app.ts";
import { bounded, waitFor } from "./_bench_common.ts";

/** What the child is told on its command line. */
export interface RssChildSetup {
  /** Which consumer to run. */
  system: "huey" | "bullmq";
  /** The Redis server's URL. */
  redisUrl: string;
  /** The queue name. */
  queue: string;
  /** Async workers (greenlets, or BullMQ concurrency). */
  concurrency: number;
  /** Task counts at which memory is read, in increasing order. */
  checkpoints: number[];
}

/** One line of the child's output. */
export interface RssReport {
  /** Tasks run so far. */
  tasks: number;
  /** Resident set size, in bytes, after a garbage collection where the runtime allows one. */
  rss: number;
  /** The JavaScript heap in use, in bytes, at the same moment (live objects). */
  heapUsed: number;
}

function collectGarbage(): void {
  const globals = globalThis as { gc?: () => void; Bun?: { gc(force: boolean): void } };
  if (globals.gc) globals.gc();
  else globals.Bun?.gc(true);
}

const setup = JSON.parse(process.argv[2] ?? "{}") as RssChildSetup;
const reports: RssReport[] = [];
let ran = 0;

function onTask(): void {
  ran += 1;
  if (ran !== setup.checkpoints[reports.length]) return;
  // Read after the current task has settled, outside of its stack.
  const tasks = ran;
  setTimeout(() => {
    collectGarbage();
    const { rss, heapUsed } = process.memoryUsage();
    const report = { tasks, rss, heapUsed };
    reports.push(report);
    process.stdout.write(JSON.stringify(report) + "\n");
  }, 0);
}

const finished = (): boolean => reports.length === setup.checkpoints.length;

if (setup.system === "huey") {
  configureLogging({ level: "WARNING" });
  const { huey } = createBenchHuey(
    { storage: "redis", queue: setup.queue, url: setup.redisUrl },
    { onEcho: onTask },
  );
  const consumer = huey.createConsumer({
    workerType: "greenlet",
    workers: setup.concurrency,
    periodic: false,
  });
  const running = consumer.run();
  await waitFor("the last checkpoint", finished, 50);
  await bounded("the consumer to stop", Promise.all([consumer.stop(), running]));
  await huey.close();
} else {
  // Loaded only here: the huey consumer's memory must not include BullMQ's modules.
  const { Worker } = await import("bullmq");
  const { bullConnection } = await import("./_bench_bullmq.ts");
  const worker = new Worker(setup.queue, (job: Job) => {
    onTask();
    return Promise.resolve(job.data.value);
  }, {
    connection: bullConnection(setup.redisUrl),
    concurrency: setup.concurrency,
    removeOnComplete: { count: 1000 },
  });
  await waitFor("the last checkpoint", finished, 50);
  await bounded("the worker to close", worker.close());
}
process.exit(0);
