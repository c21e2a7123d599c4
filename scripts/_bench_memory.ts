/**
 * The consumer-memory workload: a consumer runs in a child process
 * (`_bench_rss_child.ts`) while this process keeps its queue fed, in bulks,
 * until the last checkpoint; the child reports its resident set size at each
 * checkpoint.
 *
 * @module
 */
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { Queue } from "bullmq";
import { createBenchHuey } from "./_bench_app.ts";
import { bullConnection } from "./_bench_bullmq.ts";
import {
  type BenchConfig,
  bounded,
  type Measurement,
  uniqueQueue,
  WORKLOAD_TIMEOUT,
} from "./_bench_common.ts";
import type { RssChildSetup, RssReport } from "./_bench_rss_child.ts";
import { type BenchRuntime, runtimeCommand, thisRuntime } from "./_bench_runtimes.ts";

/** Async workers of the consumer whose memory is read (its fastest setting). */
export const RSS_CONCURRENCY = 50;
/** Tasks enqueued per bulk; the queue is refilled while fewer than two bulks wait. */
const REFILL = 10_000;

const childFile = fileURLToPath(new URL("./_bench_rss_child.ts", import.meta.url));

/** The producer side of one system: how to add a bulk, count waiting tasks, drop results. */
interface Feeder {
  add(values: number[]): Promise<unknown>;
  waiting(): Promise<number>;
  trim(): Promise<unknown>;
  close(): Promise<void>;
}

function hueyFeeder(config: BenchConfig, queue: string): Feeder {
  const { huey, echo } = createBenchHuey({ storage: "redis", queue, url: config.redisUrl });
  return {
    add: (values) => echo.map(values),
    waiting: () => huey.pendingCount(),
    trim: () => huey.storage.flushResults(),
    close: async () => {
      await huey.flush();
      await huey.close();
    },
  };
}

function bullFeeder(config: BenchConfig, name: string): Feeder {
  const queue = new Queue(name, { connection: bullConnection(config.redisUrl) });
  return {
    add: (values) => queue.addBulk(values.map((value) => ({ name: "echo", data: { value } }))),
    waiting: () => queue.getWaitingCount(),
    trim: () => Promise.resolve(), // the worker keeps only the last 1,000 completed jobs
    close: async () => {
      await queue.obliterate({ force: true });
      await queue.close();
    },
  };
}

/**
 * Runs the consumer of `system` in a child process on `runtime` over
 * `config.rssCheckpoints[1]` tasks and reads its memory at both checkpoints.
 */
export async function consumerMemory(
  config: BenchConfig,
  system: RssChildSetup["system"],
  runtime: BenchRuntime = thisRuntime,
): Promise<Measurement[]> {
  const queue = uniqueQueue(`rss-${system}`);
  const checkpoints = config.rssCheckpoints;
  const feeder = system === "huey" ? hueyFeeder(config, queue) : bullFeeder(config, queue);
  const setup: RssChildSetup = {
    system,
    redisUrl: config.redisUrl,
    queue,
    concurrency: RSS_CONCURRENCY,
    checkpoints,
  };
  const [command, args] = runtimeCommand(runtime, childFile, [JSON.stringify(setup)], [
    "--expose-gc",
  ]);
  const child = spawn(command, args, { stdio: ["ignore", "pipe", "inherit"] });
  const reports: RssReport[] = [];
  let buffer = "";
  child.stdout.on("data", (chunk) => {
    buffer += chunk;
    const lines = buffer.split("\n");
    buffer = lines.pop() ?? "";
    for (const line of lines) if (line.trim()) reports.push(JSON.parse(line) as RssReport);
  });
  const exited = new Promise<number | null>((resolve) => child.on("exit", resolve));
  try {
    const total = checkpoints[checkpoints.length - 1];
    const deadline = performance.now() + WORKLOAD_TIMEOUT * 1000;
    for (let sent = 0; sent < total;) {
      if (performance.now() > deadline) throw new Error(`Gave up feeding the ${system} consumer`);
      if ((await feeder.waiting()) >= 2 * REFILL) {
        await new Promise((resolve) => setTimeout(resolve, 20));
        continue;
      }
      const count = Math.min(REFILL, total - sent);
      await feeder.add(Array.from({ length: count }, (_, i) => sent + i));
      sent += count;
      if (sent % (10 * REFILL) === 0) await feeder.trim();
    }
    const code = await bounded(`the ${system} memory child to exit`, exited);
    if (code !== 0 || reports.length !== checkpoints.length) {
      throw new Error(
        `The ${system} memory child exited with ${code} after ${reports.length} reports`,
      );
    }
  } finally {
    child.kill("SIGKILL");
    await feeder.close();
  }
  const figure = (kind: "rss" | "heap", label: string, report: RssReport): Measurement => ({
    key: `${kind}.${report.tasks}`,
    label: `consumer ${label} after ${report.tasks.toLocaleString("en-US")} tasks`,
    storage: "redis",
    unit: "MB",
    value: (kind === "rss" ? report.rss : report.heapUsed) / 1e6,
  });
  return [
    ...reports.map((report) => figure("rss", "RSS", report)),
    ...reports.map((report) => figure("heap", "JS heap in use", report)),
  ];
}
