/**
 * The benchmark: huey against BullMQ on the same throwaway Redis, plus huey
 * on a temporary SQLite file. It measures enqueue throughput, end-to-end
 * processing (results stored, acks on) with greenlet and thread workers,
 * enqueue -> start latency with an idle consumer, and consumer memory over
 * many tasks; prints a table (huey, BullMQ, ratio, target) and writes the
 * figures as JSON. docs/performance.md explains each figure.
 *
 * Usage: `npm run bench` (Node), `deno task bench`, or
 * `node scripts/bench.ts [--tasks 50000] [--rss-tasks 1000000] [--samples 1000]
 *  [--threads 2] [--json bench-results.json] [--quick]`
 *
 * @module
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { parseArgs } from "node:util";
import { configureLogging } from "../logger.ts";
import { startRedis } from "../tests/_redis_server.ts";
import { bullEndToEnd, bullEnqueueThroughput, bullLatency } from "./_bench_bullmq.ts";
import type { BenchConfig, Measurement } from "./_bench_common.ts";
import { endToEnd, enqueueThroughput, latency } from "./_bench_huey.ts";
import { consumerMemory } from "./_bench_memory.ts";
import { buildRows, formatTable, report } from "./_bench_report.ts";

const USAGE = "Usage: bench.ts [--tasks N] [--rss-tasks N] [--samples N] [--threads N] " +
  "[--json FILE] [--quick]";

function positiveInteger(option: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1) {
    throw new RangeError(`Option '--${option}' must be an integer >= 1, got ${text}\n${USAGE}`);
  }
  return value;
}

/** The settings from the command line (without the Redis URL and folder, set at start). */
function settings(args: string[]): Omit<BenchConfig, "redisUrl" | "folder"> & { json: string } {
  const { values } = parseArgs({
    args,
    options: {
      tasks: { type: "string" },
      "rss-tasks": { type: "string" },
      samples: { type: "string" },
      threads: { type: "string" },
      json: { type: "string", default: "bench-results.json" },
      quick: { type: "boolean", default: false },
    },
    strict: true,
  });
  const quick = values.quick === true;
  const tasks = positiveInteger("tasks", values.tasks, quick ? 5_000 : 50_000);
  const rssTasks = positiveInteger("rss-tasks", values["rss-tasks"], quick ? 50_000 : 1_000_000);
  return {
    tasks,
    inFlight: 1_000,
    bulk: 1_000,
    concurrencies: [1, 10, 50],
    threads: positiveInteger("threads", values.threads, 2),
    latencySamples: positiveInteger("samples", values.samples, quick ? 200 : 1_000),
    rssCheckpoints: [Math.min(10_000, rssTasks), rssTasks],
    json: values.json!,
  };
}

/**
 * Runs the in-process workloads once on a few tasks, for both systems, and
 * forgets the figures: both are then measured with their code compiled.
 */
async function warmUp(config: BenchConfig): Promise<void> {
  const small = { ...config, tasks: Math.min(config.tasks, 5_000) };
  const setup = { workerType: "greenlet" as const, workers: 10 };
  for (const storage of ["redis", "sqlite"] as const) {
    await enqueueThroughput(small, storage);
    await endToEnd(small, storage, setup);
  }
  await bullEnqueueThroughput(small);
  await bullEndToEnd(small, setup);
}

/** Runs one workload, logging its name and time on standard error. */
async function step<T>(name: string, run: () => Promise<T>): Promise<T> {
  const started = performance.now();
  process.stderr.write(`${name} ... `);
  const value = await run();
  process.stderr.write(`${((performance.now() - started) / 1000).toFixed(1)}s\n`);
  return value;
}

async function main(): Promise<void> {
  const { json, ...options } = settings(process.argv.slice(2));
  configureLogging({ level: "WARNING" });
  const started = performance.now();
  const redis = await startRedis();
  const folder = mkdtempSync(join(tmpdir(), "huey-bench-"));
  const config: BenchConfig = { ...options, redisUrl: redis.url, folder };
  const huey: Measurement[] = [];
  const bullmq: Measurement[] = [];
  try {
    await step("warm-up, both systems", () => warmUp(config));
    huey.push(...await step("huey enqueue, redis", () => enqueueThroughput(config, "redis")));
    huey.push(...await step("huey enqueue, sqlite", () => enqueueThroughput(config, "sqlite")));
    bullmq.push(...await step("BullMQ enqueue", () => bullEnqueueThroughput(config)));
    const setups = [
      ...config.concurrencies.map((workers) => ({ workerType: "greenlet" as const, workers })),
      { workerType: "thread" as const, workers: config.threads },
    ];
    for (const setup of setups) {
      const name = `${setup.workerType} x${setup.workers}`;
      huey.push(
        await step(`huey end-to-end ${name}, redis`, () => endToEnd(config, "redis", setup)),
      );
      huey.push(
        await step(`huey end-to-end ${name}, sqlite`, () => endToEnd(config, "sqlite", setup)),
      );
      bullmq.push(await step(`BullMQ end-to-end ${name}`, () => bullEndToEnd(config, setup)));
    }
    huey.push(...await step("huey latency, redis", () => latency(config, "redis")));
    huey.push(...await step("huey latency, sqlite", () => latency(config, "sqlite")));
    bullmq.push(...await step("BullMQ latency", () => bullLatency(config)));
    huey.push(...await step("huey consumer memory", () => consumerMemory(config, "huey")));
    bullmq.push(...await step("BullMQ consumer memory", () => consumerMemory(config, "bullmq")));
  } finally {
    await redis.stop();
    rmSync(folder, { recursive: true, force: true });
  }
  const rows = buildRows(huey, bullmq);
  console.log(`\n${formatTable(rows)}\n`);
  const seconds = (performance.now() - started) / 1000;
  writeFileSync(json, JSON.stringify(report(config, rows, seconds), null, 2) + "\n");
  console.log(`Figures written to ${json} (${Math.round(seconds)}s in all).`);
}

await main();
// BullMQ and node-redis may leave sockets behind for a moment: do not wait for them.
process.exit(0);
